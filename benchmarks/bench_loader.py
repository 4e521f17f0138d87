"""Images per second of archft's TensorLoader against torchvision's DataLoader with PIL transforms.

Both do the same work per training batch: random crop (pad 4), horizontal flip, normalisation, batch 64,
on the real CIFAR-10 subset. Each rate is the median of whole-epoch runs, taken in one process.
Usage: python benchmarks/bench_loader.py [--repeats 5] [--workers 0 2]
"""
import argparse
import statistics
import time

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from archft.config import hardware
from archft.data import TensorLoader, load_dataset


class PILDataset(Dataset):
    "The torchvision way: one PIL image at a time through the transform pipeline."
    def __init__(self, data, transform):
        self.images = data.images.permute(0, 2, 3, 1).numpy()
        self.labels = data.labels.tolist()
        self.transform = transform

    def __len__(self): return len(self.labels)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.images[i])), self.labels[i]


def epoch_rate(batches, n_images):
    t = time.perf_counter()
    for x, y in batches: pass
    return n_images / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    args = ap.parse_args()
    data = load_dataset("cifar10-subset")
    n = len(data)
    ours = TensorLoader(data, 64, shuffle=True, augment=True, seed=0)
    ours_rates = [epoch_rate((ours.batch(e * len(ours) + b) for b in range(len(ours))), n) for e in range(args.repeats)]
    tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize(data.mean, data.std)])
    print(f"hardware: {hardware('cpu')}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"archft TensorLoader           : {statistics.median(ours_rates):10.0f} images/s")
    best = 0.0
    for w in args.workers:
        dl = DataLoader(PILDataset(data, tf), batch_size=64, shuffle=True, num_workers=w,
                        persistent_workers=w > 0)
        rates = [epoch_rate(dl, n) for _ in range(args.repeats)]
        r = statistics.median(rates); best = max(best, r)
        print(f"torchvision DataLoader (w={w})  : {r:10.0f} images/s")
    print(f"ratio (archft / best DataLoader): {statistics.median(ours_rates) / best:.1f}x")


if __name__ == "__main__":
    main()
