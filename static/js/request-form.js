// The licence-request form: add and remove party and item rows, pick parties from the address
// book and products from the catalogue, and warn while a party is typed when it may be listed.
// A static file, so the Content-Security-Policy keeps script-src 'self'. Without it the form still
// works: the page renders a few blank rows, saved rows have a "Delete" box, and nothing is lost.
(function () {
  "use strict";

  var status = document.getElementById("row-status");

  function announce(text) {
    if (status) { status.textContent = text; }
  }

  function visibleRows(box) {
    return Array.prototype.filter.call(box.querySelectorAll("[data-rows] > [data-row]"), function (row) {
      return !row.hidden;
    });
  }

  function renumber(box) {
    visibleRows(box).forEach(function (row, index) {
      row.querySelectorAll("[data-row-number]").forEach(function (el) { el.textContent = String(index + 1); });
    });
  }

  function managementInput(box, name) {
    return box.querySelector('input[name="' + box.dataset.formset + "-" + name + '"]');
  }

  function refreshAddButton(box) {
    var total = managementInput(box, "TOTAL_FORMS");
    var max = managementInput(box, "MAX_NUM_FORMS");
    var add = box.querySelector("[data-add-row]");
    if (add && total && max) { add.disabled = Number(total.value) >= Number(max.value); }
  }

  function firstField(row) {
    return row.querySelector("select:not([hidden]), input:not([type=hidden]):not([type=checkbox]):not([type=search]), textarea");
  }

  // A removed row stays in the page, hidden, with its "Delete" box ticked: the formset then skips
  // it (a blank one) or deletes it (a saved one), and row numbers in the field names never shift.
  function removeRow(box, row) {
    var remove = row.querySelector('input[type=checkbox][name$="-DELETE"]');
    if (remove) { remove.checked = true; }
    row.hidden = true;
    var noun = box.dataset.formset === "parties" ? "Party" : "Item";
    var number = row.querySelector("[data-row-number]").textContent;
    renumber(box);
    announce(noun + " " + number + " removed.");
    var add = box.querySelector("[data-add-row]");
    if (add) { add.focus(); }
  }

  function enhanceRow(box, row) {
    row.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
    var deleteField = row.querySelector("[data-delete-field]");
    if (deleteField) { deleteField.hidden = true; }
    var button = row.querySelector("[data-remove-row]");
    if (button) { button.addEventListener("click", function () { removeRow(box, row); }); }
    var remove = row.querySelector('input[type=checkbox][name$="-DELETE"]');
    if (remove && remove.checked) { row.hidden = true; }
    row.querySelectorAll("[data-picker]").forEach(function (picker) { enhancePicker(row, picker); });
    if (box.dataset.formset === "parties") { watchParty(row); }
  }

  // ---- Searching the address book and the catalogue as the user types ---------------------------

  var PAUSE_MS = 300;

  function field(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }

  function setValue(input, value) {
    if (!input) { return; }
    input.value = value == null ? "" : String(value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  var describe = {
    "address-book": function (entry) {
      return entry.name + " — " + entry.country + (entry.address ? ", " + entry.address.replace(/\s+/g, " ") : "");
    },
    products: function (product) {
      var parts = [product.description];
      if (product.model) { parts.push(product.model); }
      if (product.manufacturer) { parts.push(product.manufacturer); }
      return parts.join(", ") + " — " + product.eccn + " (" + product.classification_label.toLowerCase() + ")";
    }
  };

  var fill = {
    "address-book": function (row, entry) {
      setValue(field(row, "name"), entry.name);
      setValue(field(row, "address"), entry.address);
      setValue(field(row, "country"), entry.country);
      return { said: "Filled from the address book: " + entry.name + ".", next: field(row, "role") };
    },
    products: function (row, product) {
      ["description", "model", "manufacturer", "eccn", "reasons_for_control"].forEach(function (name) {
        setValue(field(row, name), product[name]);
      });
      setValue(field(row, "product"), product.id);
      var note = row.querySelector("[data-product-note]");
      var how = product.classification === "confirmed"
        ? "confirmed classification " + product.eccn + (product.classified_by ? " by " + product.classified_by : "")
        : "self-classified";
      if (note) { note.textContent = "From the catalogue: " + product.description + " (" + how + ")."; }
      return { said: "Filled from the catalogue: " + product.description + ", " + how + ".", next: field(row, "quantity") };
    }
  };

  function enhancePicker(row, picker) {
    var input = picker.querySelector("input[type=search]");
    var results = picker.querySelector("[data-results]");
    var kind = picker.dataset.picker;
    var timer = null;
    var asked = 0;
    function show(list, query) {
      results.innerHTML = "";
      if (!list.length) {
        var none = document.createElement("li");
        none.textContent = "Nothing matches “" + query + "”.";
        results.appendChild(none);
        return;
      }
      list.forEach(function (found) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = "Use " + describe[kind](found);
        button.addEventListener("click", function () {
          // Focus moves on to what is left to type in the row: the role, or the quantity.
          var done = fill[kind](row, found);
          results.innerHTML = "";
          input.value = "";
          announce(done.said);
          if (done.next) { done.next.focus(); }
        });
        li.appendChild(button);
        results.appendChild(li);
      });
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      var query = input.value.trim();
      if (query.length < 2) { results.innerHTML = ""; return; }
      timer = window.setTimeout(function () {
        var ticket = ++asked;
        getJSON(picker.dataset.url + "?q=" + encodeURIComponent(query)).then(function (list) {
          if (ticket === asked) { show(list, query); }
        }).catch(function () {
          results.textContent = "The search is not available just now; type the row by hand.";
        });
      }, PAUSE_MS);
    });
    input.addEventListener("keydown", function (event) {
      // Enter in the search box must not submit the whole form; it moves to the first result.
      if (event.key === "Enter") {
        event.preventDefault();
        var first = results.querySelector("button");
        if (first) { first.focus(); }
      }
    });
  }

  // ---- The warning while a party is typed ----------------------------------------------------------
  // After a pause, the party's name and country go to the screening API. A possible match is shown
  // beside the row with why it matched on demand; it never blocks saving, and the screening made
  // when the request is submitted remains the record.

  var SCREEN_PAUSE_MS = 600;
  var entities = {};

  function listName(sourceName, source) {
    return (sourceName || source || "restricted list").replace(/\s*\(.*$/, "").replace(/\s+-\s+.*$/, "");
  }

  function policyOf(entity) {
    var text = (entity.license_policy_text || "").trim().replace(/\.$/, "");
    if (text) { return text.charAt(0).toLowerCase() + text.slice(1); }
    return (entity.license_policy || "").replace(/_/g, " ");
  }

  function explain(match) {
    var why = match.explanation || {};
    var lines = [];
    lines.push("Matched " + (why.matched_is_alias ? "the alias " : "the name ") + "“" + match.matched_name + "” with a score of " + Number(match.score).toFixed(2) + ".");
    if (why.query_normalised) { lines.push("Compared as “" + why.query_normalised + "” against “" + (why.matched_normalised || "") + "”."); }
    (why.token_matches || []).forEach(function (pair) {
      lines.push("Word “" + pair.query + "” matched “" + pair.name + "” (" + pair.score + ").");
    });
    if (why.country && typeof why.country === "object" && why.country.effect) { lines.push("Country: " + why.country.effect + "."); }
    return lines;
  }

  function showWarning(box, match, entity) {
    box.innerHTML = "";
    var note = document.createElement("div");
    note.className = "message error";
    var policy = entity ? policyOf(entity) : "";
    var head = document.createElement("p");
    head.textContent = "Possible match: " + match.name + " on the " + listName(entity && entity.source_name, match.source) +
      (policy ? " (" + policy + ")" : "") + "; a reviewer will check it. You can still save.";
    note.appendChild(head);
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.textContent = "Why this may match";
    details.appendChild(summary);
    var list = document.createElement("ul");
    explain(match).forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
    details.appendChild(list);
    note.appendChild(details);
    box.appendChild(note);
  }

  function watchParty(row) {
    var name = field(row, "name");
    var country = field(row, "country");
    var box = row.querySelector("[data-screening]");
    if (!name || !box) { return; }
    var timer = null;
    var asked = 0;
    function check() {
      window.clearTimeout(timer);
      var typed = name.value.trim();
      if (typed.length < 3) { box.innerHTML = ""; return; }
      timer = window.setTimeout(function () {
        var ticket = ++asked;
        var url = "/api/v1/screen/?limit=1&name=" + encodeURIComponent(typed) +
          (country && country.value ? "&country=" + encodeURIComponent(country.value) : "");
        getJSON(url).then(function (result) {
          if (ticket !== asked) { return null; }
          var match = (result.matches || [])[0];
          if (!match) { box.innerHTML = ""; return null; }
          var known = entities[match.entity_id];
          var entity = known ? Promise.resolve(known) : getJSON("/api/v1/entities/" + match.entity_id + "/").catch(function () { return null; });
          return entity.then(function (found) {
            if (found) { entities[match.entity_id] = found; }
            if (ticket === asked) { showWarning(box, match, found); }
          });
        }).catch(function () { box.innerHTML = ""; });
      }, SCREEN_PAUSE_MS);
    }
    name.addEventListener("input", check);
    if (country) { country.addEventListener("change", check); }
  }

  function addRow(box) {
    var total = managementInput(box, "TOTAL_FORMS");
    var template = box.querySelector("template[data-empty-row]");
    var index = Number(total.value);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    box.querySelector("[data-rows]").appendChild(row);
    total.value = String(index + 1);
    enhanceRow(box, row);
    renumber(box);
    refreshAddButton(box);
    var noun = box.dataset.formset === "parties" ? "Party" : "Item";
    announce(noun + " " + visibleRows(box).length + " added.");
    var field = firstField(row);
    if (field) { field.focus(); }
  }

  document.querySelectorAll("[data-formset]").forEach(function (box) {
    box.querySelectorAll("[data-rows] > [data-row]").forEach(function (row) { enhanceRow(box, row); });
    box.querySelectorAll(":scope > [data-js-only]").forEach(function (el) { el.hidden = false; });
    var add = box.querySelector("[data-add-row]");
    if (add) { add.addEventListener("click", function () { addRow(box); }); }
    renumber(box);
    refreshAddButton(box);
  });
})();
