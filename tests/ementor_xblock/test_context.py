"""Who and which course: from the runtime's services, as the LMS, Studio and the workbench name them."""

from types import SimpleNamespace

from opaque_keys.edx.keys import CourseKey, UsageKey
from xblock.reference.user_service import UserService, XBlockUser

from ementor_xblock.context import course_key_of, current_user_id


class Runtime:
    def __init__(self, services):
        self.services = services

    def service(self, block, name):
        return self.services.get(name)


def user_service(**attrs):
    user = XBlockUser(is_current_user=True)
    user.opt_attrs.update(attrs)
    service = UserService(user=user)
    service.get_current_user = lambda: user
    return service


def block(services, usage_id="unit-1"):
    return SimpleNamespace(runtime=Runtime(services), scope_ids=SimpleNamespace(usage_id=usage_id))


def test_the_lms_user_id():
    assert current_user_id(block({"user": user_service(**{"edx-platform.user_id": 42})})) == 42


def test_the_workbench_user_id_as_the_devsite_binds_it():
    assert current_user_id(block({"user": user_service(**{"xblock-workbench.user_id": "7"})})) == 7


def test_anonymous_and_made_up_ids_are_nobody():
    assert current_user_id(block({})) is None
    assert current_user_id(block({"user": user_service(**{"edx-platform.user_id": None})})) is None
    assert current_user_id(block({"user": user_service(**{"edx-platform.user_id": 5,
                                                          "edx-platform.is_authenticated": False})})) is None
    assert current_user_id(block({"user": user_service(**{"xblock-workbench.user_id": "student_1"})})) is None
    assert current_user_id(block({"user": user_service(**{"edx-platform.user_id": True})})) is None


def test_the_course_comes_from_the_usage_key_in_the_lms_and_studio():
    usage = UsageKey.from_string("block-v1:edX+DemoX+2026+type@ementor+block@abc")
    assert course_key_of(block({}, usage_id=usage)) == "course-v1:edX+DemoX+2026"
    draft = usage.context_key.for_branch("draft-branch")
    studio = usage.map_into_course(draft)
    assert course_key_of(block({}, usage_id=studio)) == "course-v1:edX+DemoX+2026"
    assert str(CourseKey.from_string(course_key_of(block({}, usage_id=studio)))) == "course-v1:edX+DemoX+2026"


def test_the_workbench_names_the_course_in_the_settings_bucket():
    settings = SimpleNamespace(get_settings_bucket=lambda blk, default=None: {"course_id": "course-v1:a+b+c"})
    assert course_key_of(block({"settings": settings})) == "course-v1:a+b+c"
    assert course_key_of(block({})) is None
