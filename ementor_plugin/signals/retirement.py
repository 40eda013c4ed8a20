"""Remove a retired user's personal data when the platform retires them (the right to be forgotten).

The LMS sends ``USER_RETIRE_LMS_MISC`` from its retirement pipeline. Which signal object that is comes from the
platform adapter, so this module never imports platform code and the devsite's stand-in can supply its own.
"""


def on_user_retired(sender=None, user=None, **kwargs):  # pylint: disable=unused-argument
    """Delete or anonymise every eMentor row holding the user's personal data."""
    from .. import api  # pylint: disable=import-outside-toplevel

    api.retire_user(user_id=user.id)


def connect_retirement_receiver():
    """Connect ``on_user_retired`` to the platform's retirement signal (called from ``AppConfig.ready``)."""
    from ..platform import get_platform  # pylint: disable=import-outside-toplevel

    signal = get_platform().retirement_signal()
    if signal is not None:
        signal.connect(on_user_retired, dispatch_uid="ementor_plugin.retire_user")
