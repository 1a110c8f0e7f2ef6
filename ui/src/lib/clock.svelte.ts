// One shared clock for every ticking duration on screen. It only redraws; it never
// asks the backend for anything (state arrives as pushed events).
let now = $state(Date.now());
setInterval(() => (now = Date.now()), 1000);

export const clock = {
  get now() {
    return now;
  },
};
