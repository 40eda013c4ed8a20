"""The XBlock is found through the ``xblock.v1`` entry point, as the LMS and Studio find XBlocks."""

from importlib.metadata import entry_points

from xblock.core import XBlock

from ementor_xblock.block import EmentorXBlock


def test_entry_point_names_the_block():
    found = {ep.name: ep for ep in entry_points(group="xblock.v1")}
    assert found["ementor"].value == "ementor_xblock.block:EmentorXBlock"
    assert found["ementor"].load() is EmentorXBlock


def test_xblock_runtime_loads_the_class_by_tag():
    assert XBlock.load_class("ementor") is EmentorXBlock
