/*
 * address.js — the location step's address search and «Me localiser», as progressive
 * enhancement (docs/ui.md, «Address search»). Without JavaScript the citizen types the
 * address as text and the server takes it as it is.
 *
 * - <input data-address-search data-lat-input="lat" data-lon-input="long"
 *   data-for-input="lieu_position"> (the report's place, or a location question's) becomes an
 *   ARIA 1.2 combobox: as the citizen types (a pause of 250 ms, 3 characters at least), the
 *   collectivité's address list (GET /adresses?q=) fills a listbox; arrows move, Enter
 *   chooses, Escape closes; the number of hits is announced in a polite live region.
 *   Choosing a hit fills the text and the hidden inputs named by data-lat-input and
 *   data-lon-input (ids), and dispatches `guichet:place` {lat, lon, label} on the document
 *   (map.js moves its marker there).
 * - <button type="button" data-geolocate hidden> is shown only where the browser can locate:
 *   a press fills the coordinates from the phone's position, asks GET /adresses/proche for
 *   the address there, fills the text and dispatches `guichet:place`; a refusal or a failure
 *   is told in French (English on English pages) next to the button.
 * - `guichet:pick` {lat, lon} on the document (map.js: the citizen put the marker somewhere)
 *   fills the text with the address at that point, when one is within 150 m.
 */
(function () {
  'use strict';

  var inputs = document.querySelectorAll('input[data-address-search]');
  if (!inputs.length || !window.fetch || !document.addEventListener) {
    return;
  }

  var english = (document.documentElement.getAttribute('lang') || '').slice(0, 2) === 'en';
  var T = english ? {
    none: 'No address found. Check the spelling, or place the marker on the map.',
    one: '1 address found. Use the up and down arrows to choose it.',
    many: '{n} addresses found. Use the up and down arrows to choose one.',
    failed: 'The address search is unavailable for now: type the address in full.',
    locating: 'Locating…',
    denied: 'You did not allow this site to know your position. Type the address, or place the marker on the map.',
    unavailable: 'Your position could not be found. Type the address, or place the marker on the map.',
    found: 'Position found: {label}.',
    foundNoAddress: 'Position found. No known address nearby: describe the place in your own words.'
  } : {
    none: 'Aucune adresse trouvée. Vérifiez l\u2019orthographe, ou placez le repère sur la carte.',
    one: '1 adresse trouvée. Utilisez les flèches haut et bas pour la choisir.',
    many: '{n} adresses trouvées. Utilisez les flèches haut et bas pour en choisir une.',
    failed: 'La recherche d\u2019adresse est indisponible pour le moment : tapez l\u2019adresse en entier.',
    locating: 'Localisation\u2026',
    denied: 'Vous n\u2019avez pas autorisé ce site à connaître votre position. Tapez l\u2019adresse, ou placez le repère sur la carte.',
    unavailable: 'Votre position n\u2019a pas pu être déterminée. Tapez l\u2019adresse, ou placez le repère sur la carte.',
    found: 'Position trouvée : {label}.',
    foundNoAddress: 'Position trouvée. Aucune adresse connue à proximité : décrivez le lieu avec vos mots.'
  };

  var MIN_CHARS = 3;
  var PAUSE_MS = 250;
  var counter = 0;

  function fixed(n) {
    return Number(n).toFixed(6);
  }

  function place(detail) {
    var event;
    try {
      event = new CustomEvent('guichet:place', { detail: detail });
    } catch (e) {
      event = document.createEvent('CustomEvent');
      event.initCustomEvent('guichet:place', false, false, detail);
    }
    document.dispatchEvent(event);
  }

  function getJSON(url, signal) {
    return fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin', signal: signal })
      .then(function (r) {
        if (r.status === 404) {
          return null;
        }
        if (!r.ok) {
          throw new Error('HTTP ' + r.status);
        }
        return r.json();
      });
  }

  /* The address at a position, or null when none is within 150 m. */
  function nearest(lat, lon) {
    return getJSON('/adresses/proche?lat=' + fixed(lat) + '&lon=' + fixed(lon));
  }

  function Combobox(input) {
    var self = this;
    counter += 1;
    this.input = input;
    this.latInput = document.getElementById(input.getAttribute('data-lat-input') || 'lat');
    this.lonInput = document.getElementById(input.getAttribute('data-lon-input') || 'long');
    /* The address a position was chosen for (the hidden input data-for-input names, by
     * default «lieu_position»): typing another one drops that position, here and on the
     * server; a position from the map or the phone has none, and the text beside it is a
     * complement. */
    this.forInput = document.getElementById(input.getAttribute('data-for-input') || 'lieu_position');
    this.hits = [];
    this.active = -1;
    this.timer = null;
    this.controller = null;
    this.cache = {};

    var listId = (input.id || 'address-' + counter) + '-listbox';
    this.list = document.createElement('ul');
    this.list.id = listId;
    this.list.className = 'address-listbox';
    this.list.setAttribute('role', 'listbox');
    var label = input.labels && input.labels[0];
    if (label) {
      if (!label.id) {
        label.id = listId + '-label';
      }
      this.list.setAttribute('aria-labelledby', label.id);
    }
    this.list.hidden = true;
    this.status = document.createElement('div');
    this.status.className = 'visually-hidden';
    this.status.setAttribute('role', 'status');
    this.status.setAttribute('aria-live', 'polite');

    var wrap = document.createElement('div');
    wrap.className = 'address-combobox';
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    wrap.appendChild(this.list);
    wrap.appendChild(this.status);

    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', listId);
    input.setAttribute('autocomplete', 'off');

    input.addEventListener('input', function () {
      if (self.forInput && self.forInput.value && input.value !== self.forInput.value) {
        self.setPosition(null, null, '');
      }
      self.schedule();
    });
    input.addEventListener('keydown', function (e) {
      self.key(e);
    });
    input.addEventListener('blur', function () {
      /* After a click on an option, which takes the focus away first. */
      window.setTimeout(function () {
        self.close();
      }, 150);
    });
    this.list.addEventListener('mousedown', function (e) {
      e.preventDefault(); /* keeps the focus in the input */
    });
    this.list.addEventListener('click', function (e) {
      var li = e.target.closest ? e.target.closest('[role="option"]') : e.target;
      if (li && li.getAttribute('data-index') !== null) {
        self.choose(parseInt(li.getAttribute('data-index'), 10));
      }
    });
  }

  Combobox.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    var q = this.input.value.trim();
    if (q.length < MIN_CHARS) {
      this.close();
      return;
    }
    this.timer = window.setTimeout(function () {
      self.search(q);
    }, PAUSE_MS);
  };

  Combobox.prototype.search = function (q) {
    var self = this;
    if (this.cache[q]) {
      this.show(this.cache[q]);
      return;
    }
    if (this.controller) {
      this.controller.abort();
    }
    this.controller = window.AbortController ? new AbortController() : null;
    getJSON('/adresses?q=' + encodeURIComponent(q.slice(0, 200)), this.controller && this.controller.signal)
      .then(function (hits) {
        hits = Array.isArray(hits) ? hits : [];
        self.cache[q] = hits;
        if (self.input.value.trim() === q) {
          self.show(hits);
        }
      })
      .catch(function (e) {
        if (!e || e.name !== 'AbortError') {
          self.close();
          self.announce(T.failed);
        }
      });
  };

  Combobox.prototype.announce = function (text) {
    /* Emptied first so that the same sentence twice is read twice. */
    var status = this.status;
    status.textContent = '';
    window.setTimeout(function () {
      status.textContent = text;
    }, 50);
  };

  Combobox.prototype.show = function (hits) {
    this.hits = hits;
    this.active = -1;
    this.list.textContent = '';
    this.input.removeAttribute('aria-activedescendant');
    for (var i = 0; i < hits.length; i++) {
      var li = document.createElement('li');
      li.id = this.list.id + '-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      li.setAttribute('data-index', String(i));
      li.textContent = hits[i].label;
      this.list.appendChild(li);
    }
    var open = hits.length > 0;
    this.list.hidden = !open;
    this.input.setAttribute('aria-expanded', open ? 'true' : 'false');
    this.announce(hits.length === 0 ? T.none : hits.length === 1 ? T.one : T.many.replace('{n}', hits.length));
  };

  Combobox.prototype.close = function () {
    this.list.hidden = true;
    this.active = -1;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  };

  Combobox.prototype.move = function (to) {
    var options = this.list.children;
    if (!options.length) {
      return;
    }
    if (this.active >= 0) {
      options[this.active].setAttribute('aria-selected', 'false');
    }
    this.active = (to + options.length) % options.length;
    var li = options[this.active];
    li.setAttribute('aria-selected', 'true');
    this.input.setAttribute('aria-activedescendant', li.id);
    if (li.scrollIntoView) {
      li.scrollIntoView({ block: 'nearest' });
    }
  };

  Combobox.prototype.key = function (e) {
    var open = !this.list.hidden;
    if (e.key === 'ArrowDown' || e.key === 'Down') {
      e.preventDefault();
      if (!open && this.hits.length) {
        this.show(this.hits);
      }
      this.move(this.active + 1);
    } else if (e.key === 'ArrowUp' || e.key === 'Up') {
      e.preventDefault();
      if (open) {
        this.move(this.active - 1);
      }
    } else if (e.key === 'Enter') {
      /* Enter on an option chooses it; otherwise the form is sent as usual. */
      if (open && this.active >= 0) {
        e.preventDefault();
        this.choose(this.active);
      }
    } else if (e.key === 'Escape' || e.key === 'Esc') {
      if (open) {
        e.preventDefault();
        this.close();
      }
    }
  };

  /* The hidden position (empty with null), and the address it was chosen for ('' when it
   * comes from the map or the phone). */
  Combobox.prototype.setPosition = function (lat, lon, forLabel) {
    if (this.latInput) {
      this.latInput.value = lat === null ? '' : fixed(lat);
    }
    if (this.lonInput) {
      this.lonInput.value = lon === null ? '' : fixed(lon);
    }
    if (this.forInput) {
      this.forInput.value = forLabel || '';
    }
  };

  Combobox.prototype.choose = function (index) {
    var hit = this.hits[index];
    if (!hit) {
      return;
    }
    this.input.value = hit.label;
    this.setPosition(hit.lat, hit.lon, hit.label);
    this.close();
    place({ lat: hit.lat, lon: hit.lon, label: hit.label });
  };

  var boxes = [];
  Array.prototype.forEach.call(inputs, function (input) {
    boxes.push(new Combobox(input));
  });

  /* The combobox a button or the map works with: the one of its form, else the first. */
  function boxFor(el) {
    var form = el && (el.form || (el.closest && el.closest('form')));
    for (var i = 0; i < boxes.length; i++) {
      if (form && boxes[i].input.form === form) {
        return boxes[i];
      }
    }
    return boxes[0];
  }

  /* The marker put on the map: the address there, when one is known nearby. */
  document.addEventListener('guichet:pick', function (e) {
    var d = e.detail || {};
    var box = boxFor(null);
    if (typeof d.lat !== 'number' || typeof d.lon !== 'number') {
      return;
    }
    if (box.forInput) {
      box.forInput.value = '';
    }
    nearest(d.lat, d.lon).then(function (hit) {
      if (hit && hit.label) {
        box.input.value = hit.label;
        box.announce(T.found.replace('{label}', hit.label));
      }
    }).catch(function () {
      /* The text stays as typed. */
    });
  });

  if (!navigator.geolocation) {
    return;
  }
  Array.prototype.forEach.call(document.querySelectorAll('button[data-geolocate]'), function (button) {
    var box = boxFor(button);
    var message = document.createElement('p');
    message.className = 'hint geolocate-status';
    message.setAttribute('role', 'status');
    button.parentNode.insertBefore(message, button.nextSibling);
    var label = button.textContent;
    button.hidden = false;

    function done(text) {
      button.disabled = false;
      button.textContent = label;
      button.removeAttribute('aria-busy');
      message.textContent = text;
    }

    button.addEventListener('click', function () {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      button.textContent = T.locating;
      message.textContent = '';
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lat = pos.coords.latitude;
        var lon = pos.coords.longitude;
        box.setPosition(lat, lon, '');
        nearest(lat, lon).then(function (hit) {
          return hit;
        }, function () {
          return null;
        }).then(function (hit) {
          if (hit && hit.label) {
            box.input.value = hit.label;
          }
          place({ lat: lat, lon: lon, label: hit && hit.label ? hit.label : '' });
          done(hit && hit.label ? T.found.replace('{label}', hit.label) : T.foundNoAddress);
        });
      }, function (err) {
        done(err && err.code === 1 ? T.denied : T.unavailable);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  });
})();
