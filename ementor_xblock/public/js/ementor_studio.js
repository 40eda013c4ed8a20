/* eMentor Studio editor. The runtime calls EmentorStudioEditor(runtime, element, initArgs).
 *
 * Sends every setting to the block's studio_submit handler, which checks each field and answers 400 with a
 * message per field; shows those messages next to their fields, and tells Studio when saving starts and ends.
 * Strings arrive translated in initArgs. No inline event handlers.
 */
function EmentorStudioEditor(runtime, element, initArgs) { // eslint-disable-line no-unused-vars
  "use strict";

  var strings = (initArgs && initArgs.strings) || {};
  var root = element.querySelector("[data-ementor-studio]") || element;
  var form = root.querySelector("form");
  var status = root.querySelector("[data-studio-status]");
  var summary = root.querySelector(".ementor-form-errors");

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function number(value) {
    if (typeof value !== "string" || value.trim() === "") { return value; }
    var parsed = Number(value);
    return isNaN(parsed) ? value : parsed;
  }

  function collect() {
    var values = {weights: {}};
    Array.prototype.forEach.call(form.elements, function (control) {
      if (!control.name || control.type === "submit" || control.type === "button") { return; }
      var weight = control.getAttribute("data-weight");
      if (weight) { values.weights[weight] = number(control.value); return; }
      if (control.type === "checkbox") { values[control.name] = control.checked; return; }
      if (control.type === "radio") {
        if (control.checked) { values[control.name] = control.value; }
        return;
      }
      values[control.name] = control.type === "number" ? number(control.value) : control.value;
    });
    return values;
  }

  function clearErrors() {
    Array.prototype.forEach.call(root.querySelectorAll("[data-error-for]"), function (node) {
      node.textContent = "";
      node.hidden = true;
    });
    Array.prototype.forEach.call(root.querySelectorAll("[aria-invalid]"), function (node) {
      node.removeAttribute("aria-invalid");
    });
    summary.hidden = true;
    summary.textContent = "";
  }

  function showErrors(error) {
    var fields = (error && error.field_errors) || {};
    var first = null;
    var list = document.createElement("ul");
    Object.keys(fields).forEach(function (name) {
      var text = fields[name].join(" ");
      var holder = root.querySelector('[data-error-for="' + name + '"]');
      if (holder) { holder.textContent = text; holder.hidden = false; }
      var control = root.querySelector('[name="' + name + '"]');
      if (control) {
        control.setAttribute("aria-invalid", "true");
        if (!first) { first = control; }
      }
      var item = document.createElement("li");
      var label = control && control.id ? root.querySelector('label[for="' + control.id + '"]') : null;
      item.textContent = (label ? label.textContent + ": " : "") + text;
      list.appendChild(item);
    });
    summary.textContent = (error && error.message) || strings.fix;
    summary.appendChild(list);
    summary.hidden = false;
    // Focus the first field in reading order (not in the order the server listed them).
    first = root.querySelector('[aria-invalid="true"]') || first;
    if (first) { first.focus(); } else { summary.focus(); }
  }

  function updateShares() {
    var inputs = root.querySelectorAll("[data-weight]");
    var total = 0;
    Array.prototype.forEach.call(inputs, function (input) {
      var value = parseFloat(input.value);
      if (!isNaN(value) && value > 0) { total += value; }
    });
    Array.prototype.forEach.call(inputs, function (input) {
      var share = root.querySelector('[data-share-for="' + input.getAttribute("data-weight") + '"]');
      var value = parseFloat(input.value);
      var percent = total > 0 && !isNaN(value) && value > 0 ? Math.round(value * 1000 / total) / 10 : 0;
      if (share) { share.textContent = (strings.share || "{percent}%").replace("{percent}", String(percent)); }
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target.hasAttribute("data-weight")) { updateShares(); }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    status.textContent = strings.saving;
    runtime.notify("save", {state: "start", message: strings.saving});
    window.fetch(runtime.handlerUrl(element, "studio_submit"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest"},
      body: JSON.stringify({values: collect()})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok) {
          status.textContent = strings.saved;
          runtime.notify("save", {state: "end"});
          return;
        }
        var error = body.error && typeof body.error === "object" ? body.error : {message: body.error};
        status.textContent = error.message || strings.fix;
        runtime.notify("error", {title: strings.fix, message: error.message || ""});
        showErrors(error);
      });
    }).catch(function () {
      status.textContent = strings.network;
      runtime.notify("error", {title: strings.network, message: ""});
    });
  });

  root.addEventListener("click", function (event) {
    if (event.target.closest("[data-cancel]")) {
      event.preventDefault();
      runtime.notify("cancel", {});
    }
  });

  updateShares();
}
