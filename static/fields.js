// Custom fields on the new-ticket forms: show only the fields of the chosen category (a field
// lists its categories in data-categories; none = every category). Hidden fields are disabled
// too, so the form sends only what the person could see. Without this script every field is
// shown, marked with its categories, and the server checks only the chosen category's.
(function () {
  "use strict";
  var box = document.getElementById("custom-fields");
  var category = document.getElementById("category");
  if (!box || !category) { return; }
  function update() {
    var chosen = category.value;
    box.querySelectorAll(".custom-field").forEach(function (field) {
      var ids = (field.getAttribute("data-categories") || "").split(" ").filter(Boolean);
      var show = ids.length === 0 || (chosen !== "" && ids.indexOf(chosen) !== -1);
      field.hidden = !show;
      field.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !show;
      });
      // The category is picked, so the field needs no "for: ..." note.
      var note = field.querySelector(".field-for");
      if (note) { note.hidden = true; }
    });
  }
  category.addEventListener("change", update);
  update();
})();
