// The chat page: /negotiate gives a client access URL; the browser connects to webpubsubd with
// the json.webpubsub.azure.v1 subprotocol (name and room in the query, read by the upstream's
// connect handler) and sends {"text": ...} as the user event "message"; the upstream broadcasts
// it to the room through the service REST API. The upstream also sends the room's member list
// ({"type": "presence", "members": [...]}) whenever someone joins or leaves it.
"use strict";
const $ = (id) => document.getElementById(id);
let socket = null;
let ackId = 0;

function show(kind, from, text) {
  const li = document.createElement("li");
  li.className = kind;
  if (from) {
    const b = document.createElement("span");
    b.className = "from";
    b.textContent = from + ":";
    li.appendChild(b);
  }
  li.appendChild(document.createTextNode(text));
  $("messages").appendChild(li);
  $("messages").scrollTop = $("messages").scrollHeight;
}

// Who is in the room, from the upstream's presence messages (group presence events).
function showMembers(members) {
  $("members").textContent = members.length ? "In the room: " + members.join(", ") : "";
}

function setConnected(connected) {
  $("text").disabled = !connected;
  $("send").disabled = !connected;
  $("join").disabled = connected;
  $("name").disabled = connected;
  $("room").disabled = connected;
}

async function join(event) {
  event.preventDefault();
  const name = $("name").value.trim();
  const room = $("room").value.trim() || "lobby";
  if (!name) { $("status").textContent = "Enter a name first."; return; }
  $("status").textContent = "Connecting...";
  const { url } = await (await fetch("/negotiate")).json();
  const query = "&name=" + encodeURIComponent(name) + "&room=" + encodeURIComponent(room);
  socket = new WebSocket(url + query, "json.webpubsub.azure.v1");
  socket.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "system" && m.event === "connected") {
      $("status").textContent = `Connected as ${m.userId} in room ${room}.`;
      setConnected(true);
      $("text").focus();
    } else if (m.type === "message" && m.dataType === "json") {
      const d = m.data;
      if (d.type === "chat") show("chat", d.from, d.text);
      else if (d.type === "presence") showMembers(d.members);
      else show("system", "", d.text);
    } else if (m.type === "ack" && !m.success) {
      show("error", "", "Not delivered: " + (m.error && m.error.message));
    }
  };
  socket.onclose = (e) => {
    $("status").textContent = `Disconnected (${e.code}).`;
    setConnected(false);
  };
}

function send(event) {
  event.preventDefault();
  const text = $("text").value;
  if (!text || !socket) return;
  socket.send(JSON.stringify({ type: "event", event: "message", ackId: ++ackId,
                               dataType: "json", data: { text } }));
  $("text").value = "";
}

$("join-form").addEventListener("submit", join);
$("send-form").addEventListener("submit", send);
