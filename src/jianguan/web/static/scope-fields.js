// Show only the scope fields the chosen role needs; hidden fields are disabled so they are not sent.
document.querySelectorAll("select[data-role-select]").forEach((select) => {
  const update = () => {
    select.form.querySelectorAll("[data-for-roles]").forEach((field) => {
      const shown = field.dataset.forRoles.split(" ").includes(select.value);
      field.hidden = !shown;
      field.querySelectorAll("input, select").forEach((input) => { input.disabled = !shown; });
    });
  };
  select.addEventListener("change", update);
  update();
});
