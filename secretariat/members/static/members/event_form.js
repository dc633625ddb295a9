// The life-cycle event form: show the fields the chosen kind of event uses (the unit or the
// destination); without this script every field shows and the server checks them anyway.
(function () {
  "use strict";
  const form = document.getElementById("event-form");
  const data = document.getElementById("event-fields");
  if (!form || !data) return;
  const byKind = JSON.parse(data.textContent);
  const optional = [
    "to_unit",
    "external_destination",
    "external_code",
    "without_forms",
    "without_forms_reason",
  ];
  const kind = form.querySelector("select[name=kind]");
  for (const name of ["to_unit", "issuing_unit"]) {
    const input = form.querySelector(`input[name=${name}]`);
    if (input) input.setAttribute("list", "unit-codes");
  }
  function update() {
    const wanted = byKind[kind.value] || [];
    for (const name of optional) {
      const row = form.querySelector(`[data-field=${name}]`);
      if (row) row.hidden = !wanted.includes(name);
    }
  }
  kind.addEventListener("change", update);
  update();
})();
