// The address combobox (ARIA 1.2 "list autocomplete"): htmx fills the listbox with the
// register's suggestions; this script adds the keyboard (arrows, Enter, Escape), the
// mouse, aria-expanded and aria-activedescendant. Without it the form still works.
(function () {
  "use strict";

  function setup(form) {
    var input = form.querySelector('[role="combobox"]');
    var list = form.querySelector('[role="listbox"]');
    var hidden = form.querySelector('input[name="address_id"]');
    var status = form.querySelector('[role="status"]');
    if (!input || !list || !hidden) return;
    var active = -1;

    function options() {
      return Array.prototype.slice.call(list.querySelectorAll('[role="option"]:not([aria-disabled="true"])'));
    }
    function open() {
      var any = list.querySelector('[role="option"]') !== null;
      list.hidden = !any;
      input.setAttribute("aria-expanded", any ? "true" : "false");
      if (status) {
        var n = options().length;
        status.textContent = n ? n + (n === 1 ? " adres gevonden." : " adressen gevonden.") : "";
      }
    }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }
    function choose(option) {
      input.value = option.getAttribute("data-label");
      hidden.value = option.getAttribute("data-id");
      close();
      if (status) status.textContent = "Gekozen: " + input.value;
    }

    input.addEventListener("input", function () { hidden.value = ""; });
    input.addEventListener("keydown", function (e) {
      var expanded = input.getAttribute("aria-expanded") === "true";
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!expanded) open();
        highlight(active + 1);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        if (!expanded) open();
        highlight(active - 1);
      } else if (e.key === "Enter" && expanded && active >= 0) {
        e.preventDefault();
        choose(options()[active]);
      } else if (e.key === "Escape" && expanded) {
        e.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    list.addEventListener("mousedown", function (e) {
      var option = e.target.closest('[role="option"]:not([aria-disabled="true"])');
      if (option) { e.preventDefault(); choose(option); }
    });
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.target === list) { active = -1; input.removeAttribute("aria-activedescendant"); open(); }
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-combobox]"), setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
