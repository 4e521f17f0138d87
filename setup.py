"""Package metadata comes from settings.ini (the nbdev 2 layout)."""
from configparser import ConfigParser
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    author=cfg['author'],
    author_email=cfg['author_email'],
    url=cfg['git_url'],
    license='Apache-2.0',
    packages=setuptools.find_packages(include=['archft', 'archft.*']),
    python_requires='>=' + cfg['min_python'],
    install_requires=cfg['requirements'].split(),
    # every `<extra>_requirements` key of settings.ini is an extra: pip install archft[dev], archft[ray]
    extras_require={k[:-len('_requirements')]: v.split() for k, v in cfg.items() if k.endswith('_requirements')},
    entry_points={'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"],
                  'console_scripts': ['archft-report=archft.report:main', 'archft-cache=archft.cache:main']},
    zip_safe=False,
)
