// The one websocket client of docs/protocol.md, shared by every page (served at /static/shared/).
