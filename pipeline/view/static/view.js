/* Static corpus view: plain JavaScript, no libraries, no network.
 * Article pages: select an entity (click, Enter or Space) to highlight every mention of its
 *   record in both languages; point at or focus a sentence to highlight its partner; click
 *   a sentence to pin the pair; Escape clears; "#ref=ID" in the address selects a record.
 * Index pages: click a column heading to sort; the filter box and menus hide rows. */
(function () {
  "use strict";

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }
  function attrEq(name, value) {
    return "[" + name + '="' + String(value).replace(/["\\]/g, "\\$&") + '"]';
  }

  /* ---------------------------------------------------------------- article pages */

  var status = document.getElementById("status");
  var statusDefault = status ? status.textContent : "";
  var activeRef = null;

  function clearRef() {
    all(".hl").forEach(function (el) { el.classList.remove("hl"); });
    all('[data-ref][aria-pressed="true"]').forEach(function (el) {
      el.setAttribute("aria-pressed", "false");
    });
    activeRef = null;
    if (status) { status.textContent = statusDefault; }
  }

  /* ref: one record id, or several separated by commas (one entity, several records) */
  function selectRef(ref) {
    clearRef();
    var els = [];
    ref.split(",").filter(Boolean).forEach(function (r) {
      els = els.concat(all(attrEq("data-ref", r)));
    });
    if (!els.length) { return; }
    activeRef = ref;
    els.forEach(function (el) {
      el.classList.add("hl");
      el.setAttribute("aria-pressed", "true");
    });
    var mentions = els.filter(function (el) { return el.classList.contains("ent"); });
    var byLang = {};
    mentions.forEach(function (el) {
      var holder = el.closest("[lang]");
      var lang = holder ? holder.getAttribute("lang") : "?";
      byLang[lang] = (byLang[lang] || 0) + 1;
    });
    var parts = Object.keys(byLang).sort().map(function (l) { return byLang[l] + " " + l; });
    if (status) {
      status.textContent = ref + ": " + mentions.length + " mention" +
        (mentions.length === 1 ? "" : "s") + (parts.length ? " (" + parts.join(", ") + ")" : "") +
        ". Escape clears.";
    }
    return mentions;
  }

  function toggleRef(ref) {
    if (activeRef === ref) { clearRef(); } else { selectRef(ref); }
  }

  function partners(sentence) {
    var ids = (sentence.getAttribute("data-pair") || "").split(/\s+/);
    return ids.filter(Boolean).map(function (id) { return document.getElementById(id); })
      .filter(Boolean);
  }

  function pairOn(sentence, cls) {
    sentence.classList.add(cls);
    partners(sentence).forEach(function (p) { p.classList.add("partner"); });
  }

  function pairOff(sentence, cls) {
    sentence.classList.remove(cls);
    partners(sentence).forEach(function (p) {
      var keep = all(".s.hover, .s.focused, .s.pinned").some(function (s) {
        return s !== sentence && partners(s).indexOf(p) >= 0;
      });
      if (!keep) { p.classList.remove("partner"); }
    });
  }

  document.addEventListener("click", function (ev) {
    var target = ev.target instanceof Element ? ev.target : null;
    if (!target) { return; }
    var refEl = target.closest("[data-ref]");
    if (refEl) {
      toggleRef(refEl.getAttribute("data-ref"));
      return;
    }
    var toggle = target.closest("[data-toggle-type]");
    if (toggle) {
      var type = toggle.getAttribute("data-toggle-type");
      var hidden = document.body.classList.toggle("hide-" + type);
      toggle.setAttribute("aria-pressed", hidden ? "false" : "true");
      return;
    }
    var sentence = target.closest(".s[id]");
    all(".s.pinned").forEach(function (s) { if (s !== sentence) { pairOff(s, "pinned"); } });
    if (sentence) {
      if (sentence.classList.contains("pinned")) { pairOff(sentence, "pinned"); }
      else { pairOn(sentence, "pinned"); }
    }
  });

  document.addEventListener("keydown", function (ev) {
    var target = ev.target instanceof Element ? ev.target : null;
    if (ev.key === "Escape") {
      clearRef();
      all(".s.pinned").forEach(function (s) { pairOff(s, "pinned"); });
      return;
    }
    if (target && (ev.key === "Enter" || ev.key === " ") && target.matches("span.ent[data-ref]")) {
      ev.preventDefault();
      toggleRef(target.getAttribute("data-ref"));
    }
  });

  function sentenceOf(ev) {
    var target = ev.target instanceof Element ? ev.target : null;
    return target ? target.closest(".s[id]") : null;
  }
  document.addEventListener("mouseover", function (ev) {
    var s = sentenceOf(ev);
    if (s && !s.classList.contains("hover")) { pairOn(s, "hover"); }
  });
  document.addEventListener("mouseout", function (ev) {
    var s = sentenceOf(ev);
    var to = ev.relatedTarget instanceof Element ? ev.relatedTarget.closest(".s[id]") : null;
    if (s && s !== to) { pairOff(s, "hover"); }
  });
  document.addEventListener("focusin", function (ev) {
    var s = sentenceOf(ev);
    if (s) { pairOn(s, "focused"); }
  });
  document.addEventListener("focusout", function (ev) {
    var s = sentenceOf(ev);
    if (s) { pairOff(s, "focused"); }
  });

  function fromHash() {
    var m = /^#ref=(.+)$/.exec(window.location.hash);
    if (!m) { return; }
    var mentions = selectRef(decodeURIComponent(m[1]));
    if (mentions && mentions.length) { mentions[0].scrollIntoView({ block: "center" }); }
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();

  /* ---------------------------------------------------------------- index pages */

  all("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    var heads = all("thead th", table);
    heads.forEach(function (th, col) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var numeric = th.getAttribute("data-sort-type") === "num";
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
          var cell = row.cells[col];
          var key = cell ? (cell.getAttribute("data-sort") || cell.textContent.trim()) : "";
          return { row: row, key: numeric ? parseFloat(key) || 0 : key.toLowerCase(), i: i };
        });
        rows.sort(function (a, b) {
          if (a.key < b.key) { return -dir; }
          if (a.key > b.key) { return dir; }
          return a.i - b.i;
        });
        rows.forEach(function (r) { body.appendChild(r.row); });
      });
    });
  });

  var filter = document.getElementById("filter");
  var outletFilter = document.getElementById("outlet-filter");
  var typeFilter = document.getElementById("type-filter");
  var shown = document.getElementById("shown");
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function applyFilters() {
    var table = document.querySelector("table.sortable");
    if (!table) { return; }
    var words = fold(filter ? filter.value : "").split(/\s+/).filter(Boolean);
    var outlet = outletFilter ? outletFilter.value : "";
    var type = typeFilter ? typeFilter.value : "";
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var n = 0;
    rows.forEach(function (row) {
      var text = fold(row.textContent);
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; }) &&
        (!outlet || row.getAttribute("data-outlet") === outlet) &&
        (!type || row.getAttribute("data-type") === type);
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    if (shown) { shown.textContent = n + " of " + rows.length + " shown"; }
  }
  [filter, outletFilter, typeFilter].forEach(function (el) {
    if (el) { el.addEventListener("input", applyFilters); }
  });
  applyFilters();
})();
