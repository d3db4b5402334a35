/* Behaviour every page may need, kept out of the HTML so that the Content-Security-Policy
   can forbid inline scripts (portal/middleware.py):
   - a button or link with data-confirm asks before it acts;
   - a <select data-autosubmit> submits its form when changed (the language switch);
   - an element with data-status-url polls it and reloads the page when the job is done
     (an import being read or applied). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) {
      event.target.form.submit();
    }
  });
  var box = document.querySelector("[data-status-url]");
  if (box) {
    var poll = function () {
      fetch(box.dataset.statusUrl, {credentials: "same-origin"})
        .then(function (response) { return response.json(); })
        .then(function (status) {
          var bar = box.querySelector("progress");
          if (bar) { bar.value = status.progress; }
          if (status.status === "parsing" || status.status === "applying") {
            setTimeout(poll, 1000);
          } else {
            location.reload();
          }
        });
    };
    setTimeout(poll, 1000);
  }
})();
