/* The learner view's behaviour. The runtime calls EmentorStudentView(runtime, element, initArgs). */
function EmentorStudentView(runtime, element, initArgs) { // eslint-disable-line no-unused-vars
  "use strict";
  var gettext = window.gettext || function (text) { return text; };
  var status = element.querySelector ? element.querySelector(".ementor-status") : null;
  if (status) {
    status.textContent = gettext("Welcome to the mentoring program.");
  }
}
