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
    return row.querySelector("select:not([hidden]), input:not([type=hidden]):not([type=checkbox]), textarea");
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
    document.dispatchEvent(new CustomEvent("request-form:row", { detail: { formset: box.dataset.formset, row: row } }));
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
