// One line at the top of the page for errors that belong to no form (a failed refresh).
export function showBanner(message) {
  const banner = document.getElementById('banner');
  if (!banner) return;
  banner.textContent = message || '';
  banner.hidden = !message;
}
