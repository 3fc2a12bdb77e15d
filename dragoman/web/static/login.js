// The sign-in page: a click on a demo e-mail fills the form, so trying the
// demo takes one more click.
const emailField = /** @type {HTMLInputElement} */ (document.querySelector('input[name="email"]'));
const passwordField = /** @type {HTMLInputElement} */ (document.querySelector('input[name="password"]'));
const demoBox = /** @type {HTMLElement | null} */ (document.querySelector("[data-demo-password]"));

for (const address of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(".demo-email"))) {
  address.setAttribute("role", "button");
  address.setAttribute("tabindex", "0");
  const fill = () => {
    emailField.value = address.textContent.trim();
    passwordField.value = demoBox ? demoBox.dataset.demoPassword : "";
    passwordField.focus();
  };
  address.addEventListener("click", fill);
  address.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      fill();
    }
  });
}
