"""The eMentor XBlock. It holds author settings and UI state only; mentoring data lives in ementor_plugin."""

from web_fragments.fragment import Fragment
from xblock.core import XBlock
from xblock.fields import Scope, String
from xblock.utils.resources import ResourceLoader

loader = ResourceLoader(__name__)


@XBlock.needs("i18n")
@XBlock.wants("user")
@XBlock.wants("settings")
class EmentorXBlock(XBlock):
    """A course unit that invites learners into the course's mentoring program."""

    display_name = String(
        display_name="Display name",
        help="The name learners see in the course navigation.",
        default="Mentoring",
        scope=Scope.settings,
    )
    title = String(
        display_name="Program title",
        help="The headline of the recruitment panel.",
        default="Find a mentor, or become one",
        scope=Scope.settings,
    )
    pitch = String(
        display_name="Pitch",
        help="A few sentences on why learners should join the mentoring program.",
        default="Mentors are learners who did well in this course and want to help. Mentees get a partner "
        "who is strong where they want to improve.",
        scope=Scope.settings,
        multiline_editor=True,
    )

    i18n_js_namespace = "EmentorXBlockI18N"
    block_settings_key = "EmentorXBlock"

    def student_view(self, context=None):  # pylint: disable=unused-argument
        """Render the learner's panels."""
        i18n = self.runtime.service(self, "i18n")
        html = loader.render_django_template(
            "templates/student.html", {"title": self.title, "pitch": self.pitch}, i18n_service=i18n
        )
        fragment = Fragment(html)
        fragment.add_css(loader.load_unicode("public/css/ementor.css"))
        fragment.add_javascript(loader.load_unicode("public/js/ementor_student.js"))
        strings = {"welcome": i18n.gettext("Welcome to the mentoring program.")}
        fragment.initialize_js("EmentorStudentView", {"strings": strings})
        return fragment

    @staticmethod
    def workbench_scenarios():
        """Scenarios for the xblock-sdk workbench (and the devsite)."""
        return [("eMentor: learner view", "<ementor/>")]
