// The sign-in page: a click on a demo e-mail fills the form, so trying the
// demo takes one more click.
const emailField = document.querySelector('input[name="email"]');
const passwordField = document.querySelector('input[name="password"]');
const demoBox = document.querySelector("[data-demo-password]");

for (const address of document.querySelectorAll(".demo-email")) {
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
