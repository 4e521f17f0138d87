"""What a new user trips on (issue 29, part 3): data and pretrained weights. Each case ends in a message that names
what is wrong and what to do, in the user's own terms (the argument they passed, the folder they made)."""
import re
import warnings

import pytest
import torch
from torchvision.io import write_png

from archft.data import DatasetNotFoundError, ImageData, TensorLoader, load_dataset, train_val_split
from archft.stats import summarize

# torchvision 0.29 deprecates its image encoders (for TorchCodec); they only build the test folders here
pytestmark = pytest.mark.filterwarnings("ignore:The image decoding and encoding:DeprecationWarning")


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("ARCHFT_DOWNLOAD", "0")
    monkeypatch.setenv("ARCHFT_CACHE", str(tmp_path / "cache"))


def image_folder(root, counts: dict, seed: int = 0):
    "`root/<class>/<i>.png`, `counts[class]` tiny random images each (0: an empty class folder)."
    g = torch.Generator().manual_seed(seed)
    for c, n in counts.items():
        (root / c).mkdir(parents=True)
        for i in range(n):
            write_png(torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8, generator=g), str(root / c / f"{i}.png"))
    return root


def _ours_only(e: BaseException):
    "Our error is the whole story: no library traceback chained above it."
    return e.__cause__ is None and (e.__context__ is None or e.__suppress_context__)


# --- the offline ImageNet error names the argument of the function that was called --------------------------------
def _no_imagenet(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))     # an empty hub: no cached ImageNet file


def test_offline_imagenet_error_names_load_bases_argument(monkeypatch, tmp_path):
    from archft.pretrained import WeightsNotFoundError, load_base
    _no_imagenet(monkeypatch, tmp_path)
    with pytest.raises(WeightsNotFoundError) as e:
        load_base("resnet18", "imagenet", progress=False)
    msg = str(e.value)
    assert "load_base(" in msg and "source='tiny-imagenet-sample'" in msg, msg


def test_offline_imagenet_error_names_prepares_argument(monkeypatch, tmp_path):
    "`prepare(..., weights='imagenet')` (the README's call): the fix is `weights=`, or the profile's `weights_source`."
    from archft.pipeline import prepare
    from archft.pretrained import WeightsNotFoundError
    _no_imagenet(monkeypatch, tmp_path)
    with pytest.raises(WeightsNotFoundError) as e:
        prepare("resnet18", "smoke", weights="imagenet", device="cpu", progress=False)
    msg = str(e.value)
    assert "prepare(" in msg and "weights='tiny-imagenet-sample'" in msg and "weights_source" in msg, msg


# --- image folders ------------------------------------------------------------------------------------------------
def test_empty_class_folder_is_our_error_alone(tmp_path):
    root = image_folder(tmp_path / "pets", {"cat": 3, "dog": 0, "eel": 3})
    with pytest.raises(DatasetNotFoundError) as e:
        load_dataset(f"imagefolder:{root}")
    msg = str(e.value)
    assert str(root / "dog") in msg and "no image" in msg and str(root / "cat") not in msg, msg
    assert _ours_only(e.value), "torchvision's traceback is chained above ours"


def test_no_class_folder_is_our_error_alone(tmp_path):
    (tmp_path / "flat").mkdir()
    write_png(torch.zeros(3, 8, 8, dtype=torch.uint8), str(tmp_path / "flat" / "a.png"))
    with pytest.raises(DatasetNotFoundError, match="one folder per class") as e:
        load_dataset(f"imagefolder:{tmp_path / 'flat'}")
    assert _ours_only(e.value)


def test_a_class_with_one_image_is_refused_when_a_test_split_is_held_out(tmp_path):
    root = image_folder(tmp_path / "pets", {"cat": 5, "dog": 1, "eel": 4})
    with pytest.raises(ValueError) as e:
        load_dataset(f"imagefolder:{root}")
    msg = str(e.value)
    assert "dog (1 image)" in msg and "at least 2 images" in msg and "eel" not in msg, msg
    assert "test/" in msg       # the other way out: a test split of one's own
    assert _ours_only(e.value)


def test_test_folder_with_other_classes_is_refused(tmp_path):
    "train/ has cat and dog, test/ only dog: ImageFolder would number dog 0 there, i.e. call it cat."
    image_folder(tmp_path / "pets" / "train", {"cat": 3, "dog": 3})
    image_folder(tmp_path / "pets" / "test", {"dog": 2})
    assert load_dataset(f"imagefolder:{tmp_path / 'pets'}").classes == ["cat", "dog"]
    with pytest.raises(ValueError, match=r"test.*\['dog'\].*train.*\['cat', 'dog'\]"):
        load_dataset(f"imagefolder:{tmp_path / 'pets'}", train=False)


def _data(labels, classes):
    labels = torch.tensor(labels)
    return ImageData(torch.zeros(len(labels), 3, 4, 4, dtype=torch.uint8), labels, classes, (0.5,) * 3, (0.2,) * 3)


def test_validation_split_says_which_classes_it_misses():
    with pytest.warns(UserWarning, match=r"dog.*1 image.*no validation"):
        tr, va = train_val_split(_data([0, 0, 0, 0, 1], ["cat", "dog"]), 0.25)
    assert va.class_counts() == [1, 0]
    with pytest.raises(ValueError, match=r"empty.*at least 2"):   # nothing at all to validate on
        train_val_split(_data([0, 1], ["cat", "dog"]), 0.2)


def test_junk_files_are_skipped_with_one_warning(tmp_path):
    root = image_folder(tmp_path / "pets", {"cat": 4, "dog": 4})
    (root / "cat" / "notes.txt").write_text("feed at 6")
    (root / "dog" / "README").write_text("good dogs")
    (root / "cat" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")      # the OS's, not the user's: skipped quietly
    (root / "README.md").write_text("my pets")                       # beside the class folders: not in a class
    for train in (True, False):      # train=False loads the folder twice (stats come from the train part): one warning
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            data = load_dataset(f"imagefolder:{root}", train=train)
        skipped = [str(x.message) for x in w if "skipped" in str(x.message)]
        assert len(skipped) == 1, [str(x.message) for x in w]
        assert "2 files" in skipped[0] and "notes.txt" in skipped[0] and "README" in skipped[0], skipped[0]
        assert ".DS_Store" not in skipped[0] and "README.md" not in skipped[0], skipped[0]
    assert data.classes == ["cat", "dog"]


# --- batches ------------------------------------------------------------------------------------------------------
def test_fewer_images_than_a_batch_names_batch_size_and_the_fix():
    data = _data([0, 1] * 65, ["cat", "dog"])
    with pytest.raises(ValueError) as e:
        TensorLoader(data, 512, drop_last=True)
    msg = str(e.value)
    assert "130 images" in msg and "batch_size=512" in msg and "batch_size=130" in msg, msg
    assert len(TensorLoader(data, 130, drop_last=True)) == 1


# --- warnings that leak into executed notebooks -------------------------------------------------------------------
def test_summarize_of_no_values_is_quiet():
    "`summarize(100 * s.dropna())` of an all-NaN column: NumPy's 'Mean of empty slice' reached results notebooks."
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert summarize([]) == "no values (0 seeds)"
        assert summarize(torch.tensor([]).numpy()) == "no values (0 seeds)"
