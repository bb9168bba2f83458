/* The self-assessment page: small helpers around htmx (no framework). */
(function () {
  "use strict";

  // The "only incomplete" switch reloads the page with the filter applied.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.id === "only-incomplete" && target.form) {
      target.form.submit();
    }
  });

  // An autosave swaps the whole card. On a slow connection the person may already
  // be typing in the next field of the same card (ratio: a, then b): keep what they
  // typed, and save it when they leave the field.
  var typing = null;
  var TEXT_TYPES = /^(text|number|url|search|tel|email|date|)$/;

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    typing = null;
    if (active && active.id && target && target.contains(active)) {
      var isText = active.tagName === "TEXTAREA" ||
        (active.tagName === "INPUT" && TEXT_TYPES.test(active.type || ""));
      if (isText) {
        typing = { id: active.id, value: active.value, old: active };
      }
    }
  });

  // The new card announces itself with htmx:load (the old card, which made the
  // request, has left the page, so its own events no longer reach the body).
  document.body.addEventListener("htmx:load", function () {
    if (!typing) {
      return;
    }
    var field = document.getElementById(typing.id);
    if (!field || field === typing.old) {
      return; // not swapped in yet (out-of-band parts come first)
    }
    var value = typing.value;
    typing = null;
    if (field.value !== value) {
      field.value = value;
      field.setAttribute("data-dti-unsaved", "1");
      // Once htmx has wired the new card: the live score for the kept value.
      window.setTimeout(function () {
        field.dispatchEvent(new Event("input", { bubbles: true }));
      }, 0);
    }
  });

  document.addEventListener("focusout", function (event) {
    var field = event.target;
    if (field && field.getAttribute && field.getAttribute("data-dti-unsaved")) {
      field.removeAttribute("data-dti-unsaved");
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // A request that fails (network down, server error) says so beside the card
  // instead of failing silently: nothing was saved.
  document.body.addEventListener("htmx:responseError", showFailure);
  document.body.addEventListener("htmx:sendError", showFailure);

  function showFailure(event) {
    var card = event.target.closest && event.target.closest(".dti-indicator");
    var status = card && card.querySelector("[data-testid=save-status]");
    var text = document.body.getAttribute("data-dti-save-failed") || "Not saved.";
    if (status) {
      status.innerHTML = "";
      var span = document.createElement("span");
      span.className = "text-danger";
      span.setAttribute("role", "alert");
      span.textContent = text;
      status.appendChild(span);
    }
  }
})();
