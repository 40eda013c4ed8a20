"""Packaging for openedx-ementor: the eMentor plugin app, its XBlock and the matching engine."""

import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read(*parts):
    """Return the text of a file in this repository."""
    with open(os.path.join(HERE, *parts), encoding="utf-8") as handle:
        return handle.read()


def get_version():
    """Single-source the version from ementor_plugin/__init__.py."""
    match = re.search(r'^__version__ = ["\']([^"\']+)["\']', read("ementor_plugin", "__init__.py"), re.M)
    if not match:
        raise RuntimeError("Unable to find __version__ in ementor_plugin/__init__.py")
    return match.group(1)


def load_requirements(*requirements_paths):
    """Read install_requires from requirements/*.in (OEP-18), applying no pins: constraints are for our CI."""
    requirements = []
    for path in requirements_paths:
        for raw in read(path).splitlines():
            line = raw.split("#", 1)[0].strip()
            if line and not line.startswith(("-c", "-r", "-e")):
                requirements.append(line)
    return requirements


def package_data(package, roots):
    """Every non-Python file below the given folders of a package, for package_data."""
    files = []
    for root in roots:
        for dirpath, _dirnames, filenames in os.walk(os.path.join(HERE, package, root)):
            for filename in filenames:
                if not filename.endswith((".py", ".pyc")):
                    files.append(os.path.relpath(os.path.join(dirpath, filename), os.path.join(HERE, package)))
    return files


setup(
    name="openedx-ementor",
    version=get_version(),
    description="Human e-mentoring for Open edX courses: recruitment, matching, goals and explained pairings.",
    long_description=read("README.md"),
    long_description_content_type="text/markdown",
    license="AGPL-3.0",
    python_requires=">=3.12",
    packages=find_packages(include=["matching", "matching.*", "ementor_plugin", "ementor_plugin.*",
                                    "ementor_xblock", "ementor_xblock.*"]),
    package_data={
        "ementor_plugin": package_data("ementor_plugin", ["templates", "static", "locale"]),
        "ementor_xblock": package_data("ementor_xblock", ["templates", "public", "translations", "scenarios"]),
    },
    include_package_data=True,
    install_requires=load_requirements("requirements/base.in"),
    entry_points={
        "lms.djangoapp": ["ementor_plugin = ementor_plugin.apps:EmentorPluginConfig"],
        "cms.djangoapp": ["ementor_plugin = ementor_plugin.apps:EmentorPluginConfig"],
        "xblock.v1": ["ementor = ementor_xblock.block:EmentorXBlock"],
    },
    classifiers=[
        "Development Status :: 4 - Beta",
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Intended Audience :: Education",
        "License :: OSI Approved :: GNU Affero General Public License v3",
        "Natural Language :: English",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.12",
    ],
    zip_safe=False,
)
