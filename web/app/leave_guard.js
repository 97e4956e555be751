// A view with unsaved edits sets `leaveGuard.unsaved` to a function answering whether leaving
// now would lose them; main.js asks before following a link inside the app (the browser's own
// beforeunload covers reloads and closing the tab). The view clears it in its cleanup.
export const leaveGuard = { unsaved: null };
