/*
 * conditions.js — shows and hides at once the questions of a form that depend on an earlier
 * answer (show_if). Without it the server asks them on «Continuer»; with it, each element
 * a condition may hide (data-code) — with data-show-name (the field its condition reads) and
 * data-show-values (the values that show it, a JSON array), and/or data-section (the id of
 * a section that may be hidden) — is
 * shown or hidden on every change, in document order, as the server evaluates it: a question
 * is shown when its section is, the question it depends on is, and one of that question's
 * answers is among the values. The hidden input [data-conditions-shown] lists the codes shown,
 * so that the server does not ask again what the page already showed.
 */
(function () {
  'use strict';

  var list = document.querySelector('[data-conditions-shown]');
  if (!list || !list.form) {
    return;
  }
  var form = list.form;
  var items = form.querySelectorAll('[data-code]');

  function visible(el) {
    return !el.closest('[hidden]');
  }

  /* The answers the page gives now to the field named name, from fields that are shown. */
  function answers(name) {
    var out = [];
    Array.prototype.forEach.call(form.elements, function (input) {
      if (input.name !== name || !visible(input)) {
        return;
      }
      if ((input.type === 'radio' || input.type === 'checkbox') && !input.checked) {
        return;
      }
      if (input.value.trim() !== '') {
        out.push(input.value.trim());
      }
    });
    return out;
  }

  function holds(el) {
    var section = el.getAttribute('data-section');
    if (section) {
      var s = document.getElementById(section);
      if (s && s.hidden) {
        return false;
      }
    }
    var name = el.getAttribute('data-show-name');
    if (!name) {
      return true;
    }
    var wanted;
    try {
      wanted = JSON.parse(el.getAttribute('data-show-values') || '[]');
    } catch (e) {
      return true;
    }
    return answers(name).some(function (v) {
      return wanted.indexOf(v) >= 0;
    });
  }

  function update() {
    var shown = [];
    Array.prototype.forEach.call(items, function (el) {
      el.hidden = !holds(el);
      if (!el.hidden) {
        shown.push(el.getAttribute('data-code'));
      }
    });
    list.value = shown.join(' ');
  }

  form.addEventListener('change', update);
  form.addEventListener('input', update);
})();
