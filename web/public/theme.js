// Apply the theme before first paint (no flash): stored choice, else the system's.
// A file, not an inline script: the Content-Security-Policy allows scripts from 'self' only.
(function () {
  try {
    var s = JSON.parse(localStorage.getItem("cryptotracker-theme") || "{}");
    var pref = (s.state && s.state.theme) || "system";
    var dark =
      pref === "dark" || (pref === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
    document.documentElement.classList.toggle("dark", dark);
  } catch (e) {}
})();
