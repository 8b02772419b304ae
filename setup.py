"""Maps the ``plugins/`` folder to the import package ``zkml_plugins``.

pyproject.toml holds all metadata; this file only computes the package list, since
setuptools' automatic discovery cannot rename a folder.
"""

from setuptools import find_packages, setup

core = find_packages(include=["zkml_core", "zkml_core.*"])
plugins = ["zkml_plugins" + p[len("plugins"):] for p in find_packages(include=["plugins", "plugins.*"])]

setup(packages=core + plugins, package_dir={"zkml_plugins": "plugins"})
