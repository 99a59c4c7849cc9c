// The web chat's behaviour: shows the helper's replies, posts what the person types or presses to
// /api/chat, and recovers from a weak network. Plain ES2015 so old Android phones run it as is.
(function () {
  "use strict";

  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const status = document.getElementById("status");
  const retryButton = document.getElementById("retry");
  const nextLink = document.getElementById("next");

  const VILLAGE = /^[a-z0-9-]{1,40}$/;
  const URL_IN_TEXT = /https?:\/\/[^\s"<>]*[^\s"<>.,;:!?)]/g;
  const TIMEOUT_MS = 30000;
  // The page's own words, from content/messages.toml ([web.page]), put into the page by the server.
  const SAY = JSON.parse(document.getElementById("texts").textContent);
  const CONFIRM_MS = 5000;

  let busy = false;
  let current = null; // the button group of the current question (the last reply with buttons)
  let failed = null; // {key, id} of the last message that got no answer: sending it again reuses the id
  let retryAction = null;

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

  // Letters only: the server keeps the id (to answer a retried tap once) and refuses digit runs.
  function newId() {
    let id = "w";
    for (let i = 0; i < 20; i += 1) id += String.fromCharCode(97 + Math.floor(Math.random() * 26));
    return id;
  }

  function request(url, options) {
    const controller = window.AbortController ? new AbortController() : null;
    if (controller) {
      options.signal = controller.signal;
      setTimeout(() => controller.abort(), TIMEOUT_MS);
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
        if (!busy && group === current) post({ choice: choice.id }, choice.label);
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

  // Shows `anchor` at the top of the screen and moves focus to what the person answers next: the
  // text box when the question wants a typed answer (a card number), else its first button.
  function settle(anchor, asked, wantsText) {
    if (anchor) anchor.scrollIntoView({ block: "start" });
    const target = asked && current && !wantsText ? current.querySelector("button") : input;
    target.focus({ preventScroll: true });
  }

  function setBusy(on, message) {
    busy = on;
    sendButton.disabled = on;
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

  // Sends one message; `mine` is what the person sees as their own bubble (null for the start).
  function post(fields, mine) {
    const key = JSON.stringify(fields);
    const id = failed && failed.key === key ? failed.id : newId();
    const body = JSON.parse(key);
    body.id = id;
    setBusy(true, SAY.sending);
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
        const asked = current;
        const welcome = !log.firstChild; // stays at the top of the page, under the title
        let anchor = bubble;
        let wantsText = false;
        data.replies.forEach((reply) => {
          const item = addReply(reply);
          anchor = anchor || item;
          wantsText = reply.wants_text;
        });
        settle(welcome ? null : anchor, current !== asked, wantsText);
      },
      (error) => {
        failed = { key: key, id: id };
        setBusy(false);
        if (bubble) log.removeChild(bubble);
        showProblem(error, () => post(fields, mine));
      }
    );
  }

  function forgetAddressQuery() {
    if (location.search && window.history.replaceState) {
      window.history.replaceState(null, "", location.pathname);
    }
  }

  // Shows the conversation so far; a new browser, or a village link, starts with the welcome.
  function start() {
    const village = villageFromAddress();
    const linkVillage = rememberVillage(village);
    if (linkVillage) nextLink.href = "/next?village=" + linkVillage;
    setBusy(true, SAY.loading);
    request("/api/history", { cache: "no-store" }).then(
      (data) => {
        setBusy(false);
        data.replies.forEach(addReply);
        if (village || !data.replies.length) {
          post({ start: village ? "v_" + village : "" }, null);
        } else {
          forgetAddressQuery();
          settle(current ? current.parentNode : log.lastChild, Boolean(current));
        }
      },
      (error) => {
        setBusy(false);
        showProblem(error, start);
      }
    );
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
    post({ text: text }, text);
  });

  retryButton.addEventListener("click", () => {
    if (!busy && retryAction) retryAction();
  });

  // "Người tiếp theo" replaces this browser's conversation: the first tap only asks to tap again.
  let confirmUntil = 0;
  nextLink.addEventListener("click", (event) => {
    if (Date.now() < confirmUntil) return;
    event.preventDefault();
    confirmUntil = Date.now() + CONFIRM_MS;
    const label = nextLink.textContent;
    nextLink.textContent = SAY.next_confirm;
    setTimeout(() => {
      nextLink.textContent = label;
    }, CONFIRM_MS);
  });

  start();
})();
