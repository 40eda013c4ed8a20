"""Give the workbench a real, logged-in user.

The xblock-sdk workbench takes the learner from a ``?student=`` query parameter. The devsite instead requires
a Django login for the workbench's pages and handlers and sets that parameter to the logged-in user's id, so an
XBlock here sees the same user the LMS would give it, and a forged ``student`` parameter is overwritten.
"""

from django.contrib.auth.views import redirect_to_login

_WORKBENCH_PREFIXES = ("/scenario/", "/view/", "/handler/", "/aside_handler/")


class WorkbenchLoginMiddleware:
    """Require login on workbench pages and bind the workbench's student id to the logged-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(_WORKBENCH_PREFIXES):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            query = request.GET.copy()
            query["student"] = str(request.user.id)
            request.GET = query
        return self.get_response(request)
