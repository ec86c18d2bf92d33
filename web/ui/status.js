// The stream's state, shown in the header.
export function setStatus(state) {
  const el = document.getElementById("status");
  el.textContent = state;
  el.className = "status " + (state === "live" ? "on" : "off");
}
