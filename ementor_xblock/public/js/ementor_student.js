/* eMentor learner view. The runtime calls EmentorStudentView(runtime, element, initArgs).
 *
 * The panels are rendered on the server (escaped Django templates); this script only sends forms to the
 * block's JSON handlers, shows per-field errors, swaps in the refreshed panels and manages focus, tabs,
 * disclosures and the matching-run progress bar. Every string it shows arrives translated in initArgs.
 * No inline event handlers: everything is bound here, by delegation on the block's root element.
 */
function EmentorStudentView(runtime, element, initArgs) { // eslint-disable-line no-unused-vars
  "use strict";

  var args = initArgs || {};
  var strings = args.strings || {};
  var root = element.querySelector("[data-ementor-root]") || element;
  var statusRegion = root.querySelector("[data-status]");
  var content = root.querySelector("[data-content]");
  var state = {panel: null, busy: false, autosaveTimer: null, pollTimer: null, pollStarted: 0};

  function say(text) {
    if (!statusRegion) { return; }
    // Clear first so the same sentence twice is announced twice.
    statusRegion.textContent = "";
    window.setTimeout(function () { statusRegion.textContent = text || ""; }, 50);
  }

  function csrfToken() {
    var name = (args.csrfCookie || "csrftoken") + "=";
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i += 1) {
      var part = parts[i].trim();
      if (part.indexOf(name) === 0) { return decodeURIComponent(part.substring(name.length)); }
    }
    return "";
  }

  // POST a JSON body to one of the block's handlers; resolves to {ok, status, body} (never rejects on HTTP errors).
  function post(handler, data) {
    return window.fetch(runtime.handlerUrl(element, handler), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken(),
        "X-Requested-With": "XMLHttpRequest"
      },
      body: JSON.stringify(data || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return {ok: response.ok, status: response.status, body: body};
      });
    });
  }

  function convert(control, value) {
    var type = control.getAttribute("data-type");
    if (type === "int") {
      return value === "" ? "" : (/^-?\d+$/.test(value) ? parseInt(value, 10) : value);
    }
    if (type === "bool") { return value === "true"; }
    if (type === "id-list") {
      return value.split(",").filter(function (item) { return item.trim() !== ""; }).map(function (item) {
        return parseInt(item, 10);
      });
    }
    return value;
  }

  // Turn a form into the JSON its handler expects (see the data-* conventions in the templates).
  function serialize(form, submitter) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (control) {
      var name = control.name;
      if (!name || control.disabled || control.type === "submit" || control.type === "button") { return; }
      if (control.type === "checkbox") {
        if (control.hasAttribute("data-multi")) {
          if (!Array.isArray(data[name])) { data[name] = []; }
          if (control.checked) { data[name].push(convert(control, control.value)); }
        } else {
          data[name] = control.checked;
        }
      } else if (control.type === "radio") {
        if (!(name in data)) { data[name] = ""; }
        if (control.checked) { data[name] = control.value; }
      } else {
        data[name] = convert(control, control.value);
      }
    });
    if (submitter && submitter.name) { data[submitter.name] = convert(submitter, submitter.value); }
    return data;
  }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-error-for]"), function (node) {
      node.textContent = "";
      node.hidden = true;
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (node) {
      node.removeAttribute("aria-invalid");
    });
    var summary = form.querySelector(".ementor-form-errors");
    if (summary) { summary.textContent = ""; summary.hidden = true; }
  }

  function showErrors(form, error) {
    var fieldErrors = (error && error.field_errors) || {};
    var firstInvalid = null;
    var unplaced = [];
    Object.keys(fieldErrors).forEach(function (name) {
      var text = fieldErrors[name].join(" ");
      var holder = form.querySelector('[data-error-for="' + name + '"]');
      var controls = form.querySelectorAll('[name="' + name + '"]');
      if (holder) {
        holder.textContent = text;
        holder.hidden = false;
      } else {
        unplaced.push(text);
      }
      Array.prototype.forEach.call(controls, function (control) {
        if (control.type !== "hidden") {
          control.setAttribute("aria-invalid", "true");
          if (!firstInvalid) { firstInvalid = control; }
        }
      });
    });
    var summary = form.querySelector(".ementor-form-errors");
    var message = (error && error.message) || strings.failed;
    if (summary) {
      summary.textContent = unplaced.length ? message + " " + unplaced.join(" ") : message;
      summary.hidden = false;
    }
    // Focus the first invalid field in reading order (not in the order the server listed them).
    firstInvalid = form.querySelector('[aria-invalid="true"]') || firstInvalid;
    if (firstInvalid) {
      firstInvalid.focus();
    } else if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
  }

  // ---- tabs (WAI-ARIA tabs pattern: roving tabindex, arrows, Home/End) ----
  function tabs() { return Array.prototype.slice.call(content.querySelectorAll('[role="tab"]')); }

  function selectTab(tab, moveFocus) {
    tabs().forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.setAttribute("tabindex", selected ? "0" : "-1");
      var panel = content.querySelector("#" + other.getAttribute("aria-controls"));
      if (panel) { panel.hidden = !selected; }
    });
    state.panel = tab.getAttribute("data-panel");
    if (moveFocus) { tab.focus(); }
  }

  function onTabKey(event) {
    var all = tabs();
    var index = all.indexOf(event.target);
    if (index < 0) { return; }
    var next = null;
    if (event.key === "ArrowRight" || event.key === "ArrowDown") { next = all[(index + 1) % all.length]; }
    if (event.key === "ArrowLeft" || event.key === "ArrowUp") { next = all[(index - 1 + all.length) % all.length]; }
    if (event.key === "Home") { next = all[0]; }
    if (event.key === "End") { next = all[all.length - 1]; }
    if (next) { event.preventDefault(); selectTab(next, true); }
  }

  function rememberPanel() {
    var selected = content.querySelector('[role="tab"][aria-selected="true"]');
    if (selected) { state.panel = selected.getAttribute("data-panel"); }
  }

  // ---- refresh: swap in the panels as the server renders them now ----
  function focusAfterRefresh(target) {
    var node = null;
    if (target === "wizard") { node = content.querySelector(".ementor-step-title"); }
    if (target === "title") { node = content.querySelector(".ementor-title"); }
    if (!node && target) { node = content.querySelector("#" + target); }
    if (!node && state.panel) {
      node = content.querySelector('.ementor-panel[data-panel="' + state.panel + '"] .ementor-panel-title');
    }
    if (node) {
      if (!node.hasAttribute("tabindex")) { node.setAttribute("tabindex", "-1"); }
      node.focus();
    }
  }

  function refresh(panel, focusTarget) {
    stopPolling();
    return post("refresh", {panel: panel || state.panel || ""}).then(function (result) {
      if (!result.ok || !result.body || typeof result.body.html !== "string") {
        say(strings.failed);
        return false;
      }
      content.innerHTML = result.body.html;
      rememberPanel();
      afterRender();
      focusAfterRefresh(focusTarget);
      return true;
    });
  }

  function afterRender() {
    detectTimeZone();
    var run = content.querySelector("[data-run-progress][data-run-id]");
    if (run) { startPolling(parseInt(run.getAttribute("data-run-id"), 10)); }
  }

  // ---- forms ----
  function submitForm(form, submitter, extra) {
    if (state.busy) { return; }
    var handler = form.getAttribute("data-handler");
    var data = serialize(form, submitter);
    Object.keys(extra || {}).forEach(function (key) { data[key] = extra[key]; });
    state.busy = true;
    form.setAttribute("aria-busy", "true");
    clearErrors(form);
    say(strings.saving);
    window.clearTimeout(state.autosaveTimer);
    post(handler, data).then(function (result) {
      state.busy = false;
      form.removeAttribute("aria-busy");
      var body = result.body || {};
      if (!result.ok) {
        var error = body.error && typeof body.error === "object" ? body.error : {message: body.error};
        if (result.status === 400 && error.step && form.querySelector('[name="step"]') &&
            form.querySelector('[name="step"]').value !== error.step) {
          // The problem is on another step of the joining form: open that step, then show the messages.
          refresh(state.panel, "wizard").then(function () {
            var stepForm = content.querySelector(".ementor-step-form");
            if (stepForm) { showErrors(stepForm, error); }
          });
        } else {
          showErrors(form, error);
        }
        say(error.message || strings.failed);
        return;
      }
      var success = form.getAttribute("data-success");
      if (success === "poll-run" && body.run) {
        showRun(body.run);
        say(strings.runStarted);
        startPolling(body.run.id);
        return;
      }
      refresh(body.panel || state.panel, form.getAttribute("data-focus")).then(function () {
        say(body.message || strings.saved);
      });
    }).catch(function () {
      state.busy = false;
      form.removeAttribute("aria-busy");
      showErrors(form, {message: strings.network});
      say(strings.network);
    });
  }

  function autosave(form) {
    window.clearTimeout(state.autosaveTimer);
    state.autosaveTimer = window.setTimeout(function () {
      if (state.busy || !document.body.contains(form)) { return; }
      var data = serialize(form, null);
      data.intent = "stay";
      post("save_draft", data);
    }, 1200);
  }

  function useIdea(button) {
    var form = button.closest("form");
    if (!form) { return; }
    var slots = form.querySelectorAll("[data-goal-slot]");
    for (var i = 0; i < slots.length; i += 1) {
      var title = slots[i].querySelector('input[name^="goal_title_"]');
      if (title && !title.value.trim()) {
        title.value = button.getAttribute("data-title");
        var criteria = slots[i].querySelector('textarea[name^="goal_criteria_"]');
        if (criteria) { criteria.value = button.getAttribute("data-criteria"); }
        var key = slots[i].querySelector('input[name^="goal_key_"]');
        if (key) { key.value = button.getAttribute("data-key"); }
        title.focus();
        autosave(form);
        return;
      }
    }
  }

  function detectTimeZone() {
    var select = content.querySelector("select[data-detect-time-zone]");
    if (!select || select.value) { return; }
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (ignored) { zone = ""; }
    if (zone && select.querySelector('option[value="' + zone + '"]')) {
      select.value = zone;
      var help = select.parentNode.querySelector("[data-time-zone-note]");
      if (!help) {
        help = document.createElement("p");
        help.className = "ementor-help";
        help.setAttribute("data-time-zone-note", "");
        help.id = select.id + "-detected";
        help.textContent = strings.timeZoneDetected;
        select.parentNode.insertBefore(help, select.nextSibling);
        select.setAttribute("aria-describedby", (select.getAttribute("aria-describedby") || "") + " " + help.id);
      }
    }
  }

  // ---- matching-run progress (course team) ----
  function showRun(run) {
    var box = content.querySelector("[data-run-progress]");
    if (!box) { return; }
    box.hidden = false;
    var bar = box.querySelector("[data-run-bar]");
    var fill = box.querySelector("[data-run-fill]");
    var text = box.querySelector("[data-run-text]");
    var percent = Math.max(0, Math.min(100, run.percent || 0));
    if (bar) {
      bar.setAttribute("aria-valuenow", String(percent));
      bar.setAttribute("aria-valuetext", run.text || "");
    }
    if (fill) { fill.style.width = percent + "%"; }
    if (text && text.textContent !== run.text) { text.textContent = run.text || ""; }
    var start = content.querySelector('form[data-handler="start_run"] button[type="submit"]');
    if (start) { start.disabled = !!run.open; }
  }

  function stopPolling() {
    if (state.pollTimer) { window.clearTimeout(state.pollTimer); state.pollTimer = null; }
  }

  function startPolling(runId) {
    stopPolling();
    state.pollStarted = Date.now();
    var tick = function () {
      post("run_status", {run_id: runId}).then(function (result) {
        if (!result.ok || !result.body.run) { say(strings.failed); return; }
        var run = result.body.run;
        showRun(run);
        if (run.open) {
          if ((Date.now() - state.pollStarted) / 1000 > (args.pollLimitSeconds || 900)) { say(strings.runSlow); return; }
          state.pollTimer = window.setTimeout(tick, args.pollMs || 1000);
        } else {
          state.pollTimer = null;
          refresh("staff", null).then(function () { say(run.text); });
        }
      }).catch(function () { say(strings.network); });
    };
    state.pollTimer = window.setTimeout(tick, 300);
  }

  // ---- event delegation ----
  root.addEventListener("click", function (event) {
    var target = event.target;
    var tab = target.closest('[role="tab"]');
    if (tab && root.contains(tab)) { selectTab(tab, false); return; }
    var toggle = target.closest("[data-toggle]");
    if (toggle) {
      var region = content.querySelector("#" + toggle.getAttribute("aria-controls"));
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (region) {
        region.hidden = !open;
        if (open) {
          var first = region.querySelector("input:not([type=hidden]), textarea, select, button");
          if (first) { first.focus(); }
        }
      }
      return;
    }
    var back = target.closest("[data-wizard-back]");
    if (back) {
      var form = back.closest("form");
      if (form) { submitForm(form, null, {intent: "back"}); }
      return;
    }
    var idea = target.closest("[data-use-idea]");
    if (idea) { useIdea(idea); }
  });

  root.addEventListener("keydown", function (event) {
    if (event.target.getAttribute && event.target.getAttribute("role") === "tab") { onTabKey(event); }
  });

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-handler")) { return; }
    event.preventDefault();
    var extra = form.classList.contains("ementor-step-form") && form.getAttribute("data-handler") === "save_draft" ?
      {intent: "next"} : null;
    submitForm(form, event.submitter || null, extra);
  });

  root.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest(".ementor-step-form");
    if (form) { autosave(form); }
  });
  root.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest(".ementor-step-form");
    if (form) { autosave(form); }
  });

  rememberPanel();
  afterRender();
  if (statusRegion) { statusRegion.textContent = strings.welcome || ""; }
}
