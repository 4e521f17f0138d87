"environment.yml must ask for exactly what settings.ini asks for."
from configparser import ConfigParser
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def settings_requirements() -> set[str]:
    cfg = ConfigParser(delimiters=["="])
    cfg.read(ROOT / "settings.ini")
    d = cfg["DEFAULT"]
    return set(d["requirements"].split()) | set(d["dev_requirements"].split())


def conda_pip_requirements() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict) and "pip" in dep)
    return {r for r in pip if not r.startswith("-e")}


def test_environment_matches_settings():
    ours, conda = settings_requirements(), conda_pip_requirements()
    assert ours == conda, f"only in settings.ini: {sorted(ours - conda)}; only in environment.yml: {sorted(conda - ours)}"


def test_environment_pins_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert any(str(dep).startswith("python") for dep in env["dependencies"])
