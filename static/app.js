// Small progressive enhancements; every page works without this file.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const text = document.getElementById(button.dataset.copy).textContent.trim();
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch (error) {
      window.getSelection().selectAllChildren(document.getElementById(button.dataset.copy));
      button.textContent = "Selected — press Ctrl+C";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
});

// The MLflow client prints links into MLflow's own single-page UI, such as
// "http://host:5000/#/experiments/1/runs/<run id>". The browser asks for the home page and keeps
// the rest as a fragment, which never reaches the server: open the page that shows the same thing.
(() => {
  const home = document.querySelector("a.brand");  // the experiments list, at <root>/experiments
  const root = home && new URL(".", home.href).href;
  if (!root || location.href.split("#")[0] !== root) return;
  const route = location.hash.match(
    /^#\/(?:experiments\/([^/?#]+)(?:\/runs\/([^/?#]+))?|models\/([^/?#]+)(?:\/versions\/([^/?#]+))?)/);
  if (!route) return;
  const [, experiment, run, model, version] = route;
  const target = run ? `runs/${run}`
    : experiment ? `experiments/${experiment}`
    : version ? `models/${model}/versions/${version}` : `models/${model}`;
  location.replace(new URL(target, root));
})();
