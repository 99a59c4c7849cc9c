// The web chat's behaviour: shows the helper's replies, posts what the person types or presses to
// /api/chat, and recovers from a weak network. Plain ES2015 so old Android phones run it as is.
// The server keeps no reply text: this tab keeps the conversation itself, in sessionStorage (gone
// when the tab is closed), with every digit the person typed masked; with no copy, the page asks
// the server to `resume` (the question the person is at, or the welcome).
(function () {
  "use strict";

  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const status = document.getElementById("status");
  const retryButton = document.getElementById("retry");
  const nextLink = document.getElementById("next");
  const photoInput = document.getElementById("photo");
  const photoButton = document.getElementById("photo-button");

  const VILLAGE = /^[a-z0-9-]{1,40}$/;
  const URL_IN_TEXT = /https?:\/\/[^\s"<>]*[^\s"<>.,;:!?)]/g;
  const TIMEOUT_MS = 30000;
  const PHOTO_TIMEOUT_MS = 120000; // a phone's photo over a weak mobile network
  // The page's own words, from content/messages.toml ([web.page]), put into the page by the server.
  const SAY = JSON.parse(document.getElementById("texts").textContent);
  const CONFIRM_MS = 5000;
  const CHAT_KEY = "chat";
  const MAX_TURNS = 100; // the stored copy keeps the newest turns: a cheap phone renders it at once
  const DIGIT = /[0-9\uFF10-\uFF19]/g; // ASCII and full-width digits
  const MAX_PHOTO = 10 * 1024 * 1024; // the server's cap: refused here before a slow upload

  let busy = false;
  let current = null; // the button group of the current question (the last reply with buttons)
  let failed = null; // {key, id} of the last message that got no answer: sending it again reuses the id
  let retryAction = null;
  let shown = null; // the stored copy this page shows (to notice when another page replaced it)

  function villageFromAddress() {
    const match = /[?&]village=([^&#]*)/.exec(location.search);
    const code = match ? decodeURIComponent(match[1]) : "";
    return VILLAGE.test(code) ? code : "";
  }

  // The village of the volunteer's link survives a reload of this tab, for "Người tiếp theo".
  function rememberVillage(code) {
    try {
      if (code) sessionStorage.setItem("village", code);
      return sessionStorage.getItem("village") || "";
    } catch (e) {
      return code;
    }
  }

  // The stored conversation: a list of turns, each {mine: the person's bubble or null, replies}.
  function loadTurns() {
    try {
      shown = sessionStorage.getItem(CHAT_KEY);
      const turns = JSON.parse(shown || "null");
      return Array.isArray(turns) && turns.length && turns.every(isTurn) ? turns : null;
    } catch (e) {
      return null;
    }
  }

  function isTurn(turn) {
    return (
      turn !== null &&
      typeof turn === "object" &&
      (turn.mine === null || typeof turn.mine === "string") &&
      Array.isArray(turn.replies) &&
      turn.replies.every((reply) => reply && typeof reply.text === "string" && Array.isArray(reply.buttons))
    );
  }

  function saveTurns(turns) {
    try {
      shown = JSON.stringify(turns.slice(-MAX_TURNS));
      sessionStorage.setItem(CHAT_KEY, shown);
    } catch (e) {
      // No storage (private mode, full): the page still works; a reload resumes from the server.
    }
  }

  function forgetTurns() {
    try {
      sessionStorage.removeItem(CHAT_KEY);
    } catch (e) {
      // Nothing was stored.
    }
  }

  // A card or phone number the person typed must not linger on a shared phone.
  function mask(text) {
    return text.replace(DIGIT, "\u2022");
  }

  // Letters only: the server keeps the id (to answer a retried tap once) and refuses digit runs.
  function newId() {
    let id = "w";
    for (let i = 0; i < 20; i += 1) id += String.fromCharCode(97 + Math.floor(Math.random() * 26));
    return id;
  }

  function request(url, options, timeoutMs) {
    const controller = window.AbortController ? new AbortController() : null;
    if (controller) {
      options.signal = controller.signal;
      setTimeout(() => controller.abort(), timeoutMs || TIMEOUT_MS);
    }
    options.credentials = "same-origin";
    return fetch(url, options).then((response) =>
      response
        .json()
        .catch(() => ({}))
        .then((data) => {
          if (response.ok && data.replies) return data;
          throw { message: data.error || SAY.server, canRetry: !data.error || response.status === 429 };
        })
    );
  }

  // What went wrong, for the person: the server's own words, or (fetch failed) the network.
  function describe(error) {
    return error.canRetry === undefined ? { message: SAY.offline, canRetry: true } : error;
  }

  function appendText(parent, text) {
    let at = 0;
    let match;
    URL_IN_TEXT.lastIndex = 0;
    while ((match = URL_IN_TEXT.exec(text))) {
      parent.appendChild(document.createTextNode(text.slice(at, match.index)));
      const link = document.createElement("a");
      link.href = match[0];
      link.textContent = match[0];
      link.target = "_blank";
      link.rel = "noopener";
      parent.appendChild(link);
      at = match.index + match[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(at)));
  }

  function addReply(reply) {
    const item = document.createElement("div");
    item.className = "reply";
    const bubble = document.createElement("div");
    bubble.className = "bubble helper";
    const text = document.createElement("p");
    text.className = "text";
    appendText(text, reply.text);
    bubble.appendChild(text);
    if (reply.image_url) {
      const isQr = reply.image_url.indexOf("/media/qr/") === 0;
      const image = document.createElement("img");
      image.src = reply.image_url;
      image.alt = isQr ? SAY.qr_alt : SAY.image_alt;
      image.className = isQr ? "qr" : "picture";
      bubble.appendChild(image);
    }
    item.appendChild(bubble);
    if (reply.buttons.length) item.appendChild(addChoices(reply.buttons));
    log.appendChild(item);
    return item;
  }

  function addChoices(buttons) {
    const group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", SAY.choose);
    buttons.forEach((choice, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      const number = document.createElement("span");
      number.className = "number";
      number.setAttribute("aria-hidden", "true");
      number.textContent = String(index + 1);
      const label = document.createElement("span");
      label.textContent = choice.label;
      button.appendChild(number);
      button.appendChild(label);
      button.addEventListener("click", () => {
        if (!busy && group === current) post({ choice: choice.id }, choice.label, false);
      });
      group.appendChild(button);
    });
    if (current) {
      current.className = "choices old";
      Array.prototype.forEach.call(current.querySelectorAll("button"), (old) => {
        old.disabled = true;
      });
    }
    current = group;
    return group;
  }

  function addMine(text) {
    const bubble = document.createElement("div");
    bubble.className = "bubble mine";
    const body = document.createElement("p");
    body.className = "text";
    body.textContent = text;
    bubble.appendChild(body);
    log.appendChild(bubble);
    return bubble;
  }

  // Shows `anchor` (the start of the newest turn) at the top of the screen, its question's options
  // below it on the same screen, and moves focus to what the person answers next: the text box when
  // the question wants a typed answer (a card number), else its first option.
  function settle(anchor, asked, wantsText) {
    if (anchor) anchor.scrollIntoView({ block: "start" });
    const target = asked && current && !wantsText ? current.querySelector("button") : input;
    target.focus({ preventScroll: true });
  }

  // Shows one turn: the person's bubble (if any), then the helper's replies; returns its first element.
  function addTurn(turn) {
    const first = turn.mine ? addMine(turn.mine) : null;
    let anchor = first;
    turn.replies.forEach((reply) => {
      const item = addReply(reply);
      anchor = anchor || item;
    });
    return anchor;
  }

  function wantsText(replies) {
    return replies.length > 0 && Boolean(replies[replies.length - 1].wants_text);
  }

  function setBusy(on, message) {
    busy = on;
    sendButton.disabled = on;
    photoInput.disabled = on;
    photoButton.className = on ? "photo busy" : "photo";
    status.textContent = on ? message : "";
    status.className = "status";
    retryButton.hidden = true;
  }

  function showProblem(error, retry) {
    const problem = describe(error);
    status.textContent = problem.message;
    status.className = "status problem";
    retryAction = problem.canRetry ? retry : null;
    retryButton.hidden = !retryAction;
    (retryAction ? retryButton : input).focus();
  }

  // Sends one message; `mine` is what the person sees as their own bubble (null for the start and
  // resume), `typed` when the person typed it (its digits are masked in the stored copy).
  function post(fields, mine, typed) {
    const key = JSON.stringify(fields);
    const id = failed && failed.key === key ? failed.id : newId();
    const body = JSON.parse(key);
    body.id = id;
    setBusy(true, fields.resume ? SAY.loading : SAY.sending);
    const bubble = mine ? addMine(mine) : null;
    if (bubble) bubble.scrollIntoView({ block: "nearest" });
    request("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then(
      (data) => {
        failed = null;
        setBusy(false);
        if (fields.text !== undefined && input.value === fields.text) input.value = "";
        if (fields.start !== undefined) forgetAddressQuery();
        answered(data, bubble, mine && typed ? mask(mine) : mine);
      },
      (error) => {
        failed = { key: key, id: id };
        setBusy(false);
        if (bubble) log.removeChild(bubble);
        showProblem(error, () => post(fields, mine, typed));
      }
    );
  }

  // Sends a photo of the card; the answer is shown as any other (the photo itself is not kept:
  // the person's bubble only says that a photo was sent).
  function sendPhoto(file, id) {
    if (busy) return;
    if (file.size > MAX_PHOTO) {
      showProblem({ message: SAY.photo_too_big, canRetry: false }, null);
      return;
    }
    const messageId = id || newId(); // a retry reuses it: the server answers one photo once
    const body = new FormData();
    body.append("id", messageId);
    body.append("photo", file);
    setBusy(true, SAY.reading);
    const bubble = addMine(SAY.photo_sent);
    bubble.scrollIntoView({ block: "nearest" });
    request("/api/photo", { method: "POST", body: body }, PHOTO_TIMEOUT_MS).then(
      (data) => {
        setBusy(false);
        answered(data, bubble, SAY.photo_sent);
      },
      (error) => {
        setBusy(false);
        log.removeChild(bubble);
        showProblem(error, () => sendPhoto(file, messageId));
      }
    );
  }

  // Shows an answer under the person's bubble and keeps the turn in this tab's copy.
  function answered(data, bubble, mine) {
    const turn = { mine: mine, replies: data.replies };
    let turns = loadTurns() || [];
    if (data.erased) {
      // The person erased their data: nothing before this answer stays, on the page or stored.
      while (log.firstChild) log.removeChild(log.firstChild);
      current = null;
      turn.mine = null;
      turns = [];
      window.scrollTo(0, 0);
    }
    turns.push(turn);
    saveTurns(turns);
    const asked = current;
    // A first answer (the welcome, or the erase answer now alone) stays at the top, under the title.
    const welcome = !log.firstChild;
    let anchor = bubble && bubble.parentNode ? bubble : null;
    data.replies.forEach((reply) => {
      const item = addReply(reply);
      anchor = anchor || item;
    });
    settle(welcome ? null : anchor, current !== asked, wantsText(data.replies));
  }

  function forgetAddressQuery() {
    if (location.search && window.history.replaceState) {
      window.history.replaceState(null, "", location.pathname);
    }
  }

  // Shows the conversation so far from this tab's copy, without asking the server; a village link
  // then starts at that village, and a tab with no copy asks where the person is (or the welcome).
  function start() {
    const village = villageFromAddress();
    const linkVillage = rememberVillage(village);
    if (linkVillage) nextLink.href = "/next?village=" + linkVillage;
    const turns = loadTurns();
    let anchor = null;
    if (turns) {
      turns.forEach((turn) => {
        anchor = addTurn(turn);
      });
    }
    if (village) {
      post({ start: "v_" + village }, null, false);
    } else if (!turns) {
      post({ resume: true }, null, false);
    } else {
      settle(anchor, Boolean(current), wantsText(turns[turns.length - 1].replies));
    }
  }

  // A focus ring only after the Tab key: on a touch screen a ring on option 1 looks like a choice made.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Tab") document.body.className = "keyboard";
  });
  ["mousedown", "touchstart"].forEach((type) => {
    document.addEventListener(type, () => {
      document.body.className = "";
    });
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (busy || !text.trim()) {
      input.focus();
      return;
    }
    post({ text: text }, text, true);
  });

  photoInput.addEventListener("change", () => {
    const file = photoInput.files && photoInput.files[0];
    photoInput.value = ""; // the same photo may be chosen again
    if (file) sendPhoto(file);
  });

  retryButton.addEventListener("click", () => {
    if (!busy && retryAction) retryAction();
  });

  // "Người tiếp theo" replaces this browser's conversation: the first tap only asks to tap again.
  let confirmUntil = 0;
  nextLink.addEventListener("click", (event) => {
    if (Date.now() < confirmUntil) {
      forgetTurns(); // the next person must not see this conversation
      return;
    }
    event.preventDefault();
    confirmUntil = Date.now() + CONFIRM_MS;
    const label = nextLink.textContent;
    nextLink.textContent = SAY.next_confirm;
    setTimeout(() => {
      nextLink.textContent = label;
    }, CONFIRM_MS);
  });

  // "Back" after "Người tiếp theo" may bring this page back from the browser's memory, showing the
  // previous person's chat: when the stored copy is no longer the one shown, load the page afresh.
  window.addEventListener("pageshow", (event) => {
    let stored = null;
    try {
      stored = sessionStorage.getItem(CHAT_KEY);
    } catch (e) {
      return;
    }
    if (event.persisted && stored !== shown) location.reload();
  });

  // The page puts the newest turn in place itself; the browser must not restore an old position.
  if ("scrollRestoration" in window.history) window.history.scrollRestoration = "manual";
  start();
})();
