/*
 * report.js — on the «Le problème» step of a report, proposes the category as the citizen
 * describes the problem: the category whose keywords and name the words say most (when one
 * says more than every other) is checked, and a polite live region says so. The same rule
 * as the server's (suggest_category in src/web/portal/filing_form.c), which proposes it when
 * the page is sent without a category and JavaScript is off. Once the citizen picks a
 * category by hand, the script leaves the choice alone.
 */
(function () {
  'use strict';

  var text = document.getElementById('description');
  var radios = document.querySelectorAll('input[name="categorie"][data-keywords]');
  if (!text || !radios.length) {
    return;
  }
  var fieldset = radios[0].closest('fieldset');
  var chosenByHand = Array.prototype.some.call(radios, function (r) { return r.checked; }) &&
    !document.getElementById('categorie-hint');

  var status = document.createElement('p');
  status.className = 'hint';
  status.setAttribute('aria-live', 'polite');
  status.id = 'categorie-live';
  fieldset.appendChild(status);

  /* As filing_fold: lower case, accents off, ligatures apart, typographic apostrophes
   * straight (a phone types «l’éclairage»). */
  function fold(s) {
    return s.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .replace(/œ/g, 'oe').replace(/æ/g, 'ae').replace(/[\u2018\u2019]/g, "'");
  }
  function words(s) {
    return fold(s).split(/[^a-z0-9\u0080-\uffff]+/).filter(function (w) { return w.length > 0; });
  }
  function matches(w, k) {
    if (w.length === k.length) {
      return w === k;
    }
    var n = Math.min(w.length, k.length);
    return n >= 4 && w.slice(0, n) === k.slice(0, n);
  }
  function score(said, keywords) {
    var s = 0;
    said.forEach(function (w) {
      if (w.length >= 3 && keywords.some(function (k) { return matches(w, k); })) {
        s++;
      }
    });
    return s;
  }

  var keywordLists = Array.prototype.map.call(radios, function (r) {
    return words(r.getAttribute('data-keywords'));
  });

  function suggest() {
    if (chosenByHand) {
      return;
    }
    var said = words(text.value);
    var best = -1;
    var bestScore = 0;
    var tie = false;
    keywordLists.forEach(function (kw, i) {
      var sc = score(said, kw);
      if (sc > bestScore) {
        best = i;
        bestScore = sc;
        tie = false;
      } else if (sc === bestScore && sc > 0) {
        tie = true;
      }
    });
    if (best < 0 || tie) {
      status.textContent = '';
      return;
    }
    if (radios[best].checked) {
      return;
    }
    radios[best].checked = true;
    var label = document.querySelector('label[for="' + radios[best].id + '"]');
    var prefix = document.getElementById('categorie-proposed');
    status.textContent = (prefix ? prefix.textContent : '') + ' ' +
      (label ? label.textContent : radios[best].value);
    /* The server's proposal (from the place, or the words sent before) says another. */
    var serverHint = document.getElementById('categorie-hint');
    if (serverHint) {
      serverHint.hidden = true;
    }
  }

  var timer = null;
  text.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(suggest, 300);
  });
  Array.prototype.forEach.call(radios, function (r) {
    r.addEventListener('change', function (event) {
      if (event.isTrusted) {
        chosenByHand = true;
        status.textContent = '';
      }
    });
  });
}());
