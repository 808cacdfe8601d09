/*
 * guichet.js — small progressive enhancements of the portal; every page works without it.
 * - Moves the focus to the error summary of a form sent back with errors, so that screen
 *   reader and keyboard users land on the list of problems.
 * - Adds a «Imprimer» button where a page offers one (data-print-slot).
 * - Prevents a second click on a form's submit button while the first one is being sent.
 */
(function () {
  'use strict';

  var summary = document.querySelector('.error-summary');
  if (summary) {
    summary.focus();
  }

  var slots = document.querySelectorAll('[data-print-slot]');
  Array.prototype.forEach.call(slots, function (slot) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn btn--secondary';
    button.textContent = slot.getAttribute('data-print-label') || 'Imprimer';
    button.addEventListener('click', function () {
      window.print();
    });
    slot.textContent = '';
    slot.appendChild(button);
  });

  Array.prototype.forEach.call(document.querySelectorAll('form[method="post"]'), function (form) {
    form.addEventListener('submit', function (event) {
      if (form.getAttribute('data-sending') === '1') {
        event.preventDefault();
        return;
      }
      /* Only the final sending is guarded: «Modifier» and «Précédent» stay usable. */
      var submitter = event.submitter;
      if (!submitter || !submitter.name) {
        form.setAttribute('data-sending', '1');
        window.setTimeout(function () {
          form.removeAttribute('data-sending');
        }, 10000);
      }
    });
  });
})();
