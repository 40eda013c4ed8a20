/* The learner view's behaviour. The runtime calls EmentorStudentView(runtime, element, initArgs). */
function EmentorStudentView(runtime, element, initArgs) { // eslint-disable-line no-unused-vars
  "use strict";
  // Learner-facing strings arrive translated from Python (the XBlock i18n service), so JS holds none of its own.
  var strings = (initArgs && initArgs.strings) || {};
  var status = element.querySelector(".ementor-status");
  if (status && strings.welcome) {
    status.textContent = strings.welcome;
  }
}
