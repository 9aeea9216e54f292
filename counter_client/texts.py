"""What the operator reads, in Indonesian first and English on request. One table for the console; the web page
keeps its own copy in static/counter.js (it cannot import Python)."""

from __future__ import annotations

from typing import Any

LANGS = ("id", "en")

TEXTS: dict[str, tuple[str, str]] = {
    # connection states
    "conn.connecting": ("Menyambung…", "Connecting…"),
    "conn.connected": ("Tersambung", "Connected"),
    "conn.doubtful": (
        "Koneksi bermasalah… (perintah belum dijawab, sedang diperiksa)",
        "Connection in doubt… (a command has no answer yet, checking)",
    ),
    "conn.reconnecting": (
        "Terputus, menyambung ulang dalam {seconds:.0f} dtk",
        "Disconnected, retrying in {seconds:.0f} s",
    ),
    "conn.refused": ("Ditolak server", "Refused by the server"),
    "conn.closed": ("Ditutup", "Closed"),
    # counter states
    "counter.open": ("BUKA", "OPEN"),
    "counter.paused": ("ISTIRAHAT", "PAUSED"),
    "counter.closed": ("TUTUP", "CLOSED"),
    # ticket states
    "ticket.called": ("dipanggil", "called"),
    "ticket.serving": ("sedang dilayani", "being served"),
    "ticket.parked": ("diparkir", "parked"),
    # screen sections
    "screen.current": ("Tiket saat ini", "Current ticket"),
    "screen.none": ("— tidak ada —", "— none —"),
    "screen.for": ("selama {duration}", "for {duration}"),
    "screen.note": ("Catatan", "Note"),
    "screen.priority": ("Prioritas: {group}", "Priority: {group}"),
    "screen.waiting": ("Menunggu", "Waiting"),
    "screen.no_shows": ("Tidak hadir", "No-shows"),
    # a service of this counter whose issuing is paused today (as the page says it)
    "issuing.paused": (
        "Pengambilan nomor {service} dihentikan: {reason}.",
        "Issuing of {service} tickets is paused: {reason}.",
    ),
    "issuing.until": ("Perkiraan dibuka kembali pukul {time}.", "Expected to resume at {time}."),
    # gone by and nobody resumed: still said, as past (nothing resumes by itself; a new time or a resumption is due)
    "issuing.until_past": (
        "Perkiraan dibuka kembali pukul {time}, sudah lewat.",
        "Expected to resume at {time}, now past.",
    ),
    "issuing.still_called": ("Yang sudah menunggu tetap dipanggil.", "Those already waiting are still called."),
    "screen.parked": ("Diparkir", "Parked"),
    "screen.parked_since": ("sejak {time}", "since {time}"),
    "screen.parked_by": ("({counter})", "({counter})"),
    "screen.parked_more": ("… dan {count} lagi: {labels}", "… and {count} more: {labels}"),
    "screen.totals": ("Hari ini", "Today"),
    "screen.totals_line": (
        "selesai {done} · tidak hadir {no_show} · dialihkan {transferred}",
        "done {done} · no-show {no_show} · transferred {transferred}",
    ),
    "screen.number": ("Nomor", "Number"),
    "screen.message": ("Pesan", "Message"),
    "screen.counter_state": ("Loket", "Counter"),
    "screen.sending": ("Mengirim {command}…", "Sending {command}…"),
    # keys (the console shows exactly these)
    "key.call_next": ("Enter/+ panggil berikutnya", "Enter/+ call next"),
    "key.recall": (". panggil ulang", ". recall"),
    "key.start_finish": ("0 mulai/selesai", "0 start/finish"),
    "key.no_show": ("- tidak hadir", "- no-show"),
    "key.transfer": ("/ alihkan", "/ transfer"),
    "key.pause": ("* istirahat/lanjut/buka", "* pause/resume/open"),
    "key.number": ("angka+Enter panggil nomor", "digits+Enter call number"),
    "key.requeue": ("angka+- antrekan ulang", "digits+- requeue"),
    "key.park": ("F9 parkir", "F9 park"),
    "key.close": ("F8 tutup loket", "F8 close counter"),
    "key.quit": ("F10 keluar", "F10 quit"),
    "key.escape": ("Esc batal", "Esc cancel"),
    "key.send": ("Enter kirim", "Enter sends"),
    # transfer dialog
    "transfer.title": ("Alihkan {ticket} ke layanan:", "Transfer {ticket} to service:"),
    "transfer.pick": (
        "Ketik nomor layanan lalu Enter (Esc batal)",
        "Type the service number, then Enter (Esc cancels)",
    ),
    "transfer.note": (
        "Catatan untuk loket berikutnya (boleh kosong), Enter kirim:",
        "Note for the next counter (optional), Enter sends:",
    ),
    # park dialog
    "park.title": ("Parkir {ticket}: warga mengambil berkas dulu", "Park {ticket}: the citizen fetches a document"),
    "park.note": (
        "Apa yang harus dibawa warga (boleh kosong), Enter parkir:",
        "What the citizen must bring (optional), Enter parks:",
    ),
    "park.hint": (
        "Panggil kembali nanti: ketik nomornya lalu Enter.",
        "Call back later: type its number, then Enter.",
    ),
    # outcomes of commands
    "done.open": ("Loket dibuka.", "Counter opened."),
    "done.resume": ("Loket dilanjutkan.", "Counter resumed."),
    "done.pause": ("Loket istirahat.", "Counter paused."),
    "done.close": ("Loket ditutup.", "Counter closed."),
    "done.close_returned": (
        "Loket ditutup. {ticket} kembali ke antrean di urutan semula.",
        "Counter closed. {ticket} is back in the queue in its old place.",
    ),
    "confirm.close": (
        "Tutup loket?{waiting} Enter: ya, Esc: batal.",
        "Close the counter?{waiting} Enter: yes, Esc: cancel.",
    ),
    "confirm.close_called": (
        "Tutup loket? {ticket} kembali ke antrean di urutan semula.{waiting} Enter: ya, Esc: batal.",
        "Close the counter? {ticket} goes back to the queue in its old place.{waiting} Enter: yes, Esc: cancel.",
    ),
    # said in the question to close, as on the page: the last counter of a service closed leaves them waiting
    "confirm.close_waiting": (
        "Masih ada {count} warga menunggu ({services}): loket ini tidak memanggil mereka lagi. Pastikan loket lain "
        "melayani mereka.",
        "{count} citizens are still waiting ({services}): this counter will not call them. Make sure another counter "
        "serves them.",
    ),
    "confirm.close_serving": (
        "{ticket} sedang dilayani: selesaikan, alihkan, atau parkir dulu, lalu tutup loket.",
        "{ticket} is being served: finish, transfer or park it first, then close the counter.",
    ),
    "confirm.no_show": (
        "Tandai {ticket} tidak hadir? Enter: ya, Esc: batal.",
        "Mark {ticket} as no-show? Enter: yes, Esc: cancel.",
    ),
    "confirm.cancelled": ("Dibatalkan.", "Cancelled."),
    "confirm.no_show_unheard": (
        "{ticket} BELUM diumumkan di TV ({why}): warga mungkin belum mendengar nomornya. Tetap tandai tidak hadir? "
        "Enter: ya, Esc: batal.",
        "{ticket} has NOT been announced on the TV yet ({why}): the citizen may not have heard their number. Mark "
        "it no-show anyway? Enter: yes, Esc: cancel.",
    ),
    "why.waiting": ("antrean suara: {queue}", "speech queue: {queue}"),
    "why.waiting_unknown": ("masih menunggu giliran", "still waiting its turn"),
    "why.no_speaker": ("tidak ada TV bersuara yang tersambung", "no TV with sound is connected"),
    # the called ticket on the lobby TVs (the server's `announcement` notice)
    "heard.waiting": (
        "belum diumumkan di TV (antrean suara: {queue})",
        "not yet announced on the TV (speech queue: {queue})",
    ),
    "heard.waiting_unknown": ("belum diumumkan di TV", "not yet announced on the TV"),
    "heard.announced": ("sudah diumumkan di TV", "announced on the TV"),
    "heard.no_speaker": (
        "tidak ada TV bersuara yang tersambung: panggilan tidak diumumkan",
        "no TV with sound is connected: the call is not announced",
    ),
    # a colleague at this counter (or a supervisor) changed its ticket
    "others.ticket.called": (
        "{ticket} dipanggil ke loket ini oleh {by}.",
        "{ticket} was called to this counter by {by}.",
    ),
    "others.ticket.recalled": ("{ticket} dipanggil ulang oleh {by}.", "{ticket} was called again by {by}."),
    "others.ticket.started": ("{ticket} mulai dilayani oleh {by}.", "{by} started serving {ticket}."),
    "others.ticket.finished": ("{ticket} diselesaikan oleh {by}.", "{ticket} was finished by {by}."),
    "others.ticket.no_show": ("{ticket} ditandai tidak hadir oleh {by}.", "{ticket} was marked no-show by {by}."),
    "others.ticket.parked": ("{ticket} diparkir oleh {by}.", "{ticket} was parked by {by}."),
    "others.ticket.transferred": ("{ticket} dialihkan oleh {by}.", "{ticket} was transferred by {by}."),
    "others.ticket.returned": (
        "Loket ditutup oleh {by}; {ticket} kembali ke antrean.",
        "The counter was closed by {by}; {ticket} is back in the queue.",
    ),
    "others.ticket.cancelled": ("{ticket} dibatalkan oleh {by}.", "{ticket} was cancelled by {by}."),
    # this account's change of the counter's ticket, made from another screen or device (news.py)
    "mine.ticket.called": (
        "{ticket} dipanggil ke loket ini dari layar lain dengan akun Anda.",
        "{ticket} was called to this counter from another screen signed in as you.",
    ),
    "mine.ticket.recalled": (
        "{ticket} dipanggil ulang dari layar lain dengan akun Anda.",
        "{ticket} was called again from another screen signed in as you.",
    ),
    "mine.ticket.started": (
        "{ticket} mulai dilayani dari layar lain dengan akun Anda.",
        "{ticket} was started from another screen signed in as you.",
    ),
    "mine.ticket.finished": (
        "{ticket} diselesaikan dari layar lain dengan akun Anda.",
        "{ticket} was finished from another screen signed in as you.",
    ),
    "mine.ticket.no_show": (
        "{ticket} ditandai tidak hadir dari layar lain dengan akun Anda.",
        "{ticket} was marked no-show from another screen signed in as you.",
    ),
    "mine.ticket.parked": (
        "{ticket} diparkir dari layar lain dengan akun Anda.",
        "{ticket} was parked from another screen signed in as you.",
    ),
    "mine.ticket.transferred": (
        "{ticket} dialihkan dari layar lain dengan akun Anda.",
        "{ticket} was transferred from another screen signed in as you.",
    ),
    "mine.ticket.returned": (
        "Loket ditutup dari layar lain dengan akun Anda; {ticket} kembali ke antrean.",
        "The counter was closed from another screen signed in as you; {ticket} is back in the queue.",
    ),
    "mine.ticket.cancelled": (
        "{ticket} dibatalkan dari layar lain dengan akun Anda.",
        "{ticket} was cancelled from another screen signed in as you.",
    ),
    "mine.ticket.requeued": (
        "{ticket} masuk antrean lagi dari layar lain dengan akun Anda.",
        "{ticket} is back in the queue, from another screen signed in as you.",
    ),
    # the counter's state, changed by another hand (news.py); someone waits again (console.py)
    "now.counter_open": ("Loket sekarang buka.", "The counter is open now."),
    "now.counter_paused": ("Loket sekarang istirahat.", "The counter is on a break now."),
    "now.counter_closed": ("Loket sekarang tutup.", "The counter is closed now."),
    # a pause or close by another hand, where the counter's state names who and when (news.py LEFT_BY)
    "others.counter.paused": ("Loket dijeda oleh {by} pukul {time}.", "The counter was paused by {by} at {time}."),
    "others.counter.closed": ("Loket ditutup oleh {by} pukul {time}.", "The counter was closed by {by} at {time}."),
    # opened, or taken back from a break, by another account (its `operator`, at the event's time)
    "others.counter.open": ("Loket dibuka oleh {by} pukul {time}.", "The counter was opened by {by} at {time}."),
    "others.counter.resumed": (
        "Loket dilanjutkan oleh {by} pukul {time}.",
        "The counter was resumed by {by} at {time}.",
    ),
    "mine.counter.paused": (
        "Loket dijeda dari layar lain dengan akun Anda pukul {time}.",
        "The counter was paused at {time} from another screen signed in as you.",
    ),
    "mine.counter.closed": (
        "Loket ditutup dari layar lain dengan akun Anda pukul {time}.",
        "The counter was closed at {time} from another screen signed in as you.",
    ),
    "now.waiting": ("Sekarang ada warga yang menunggu untuk loket ini.", "Someone is waiting for this counter now."),
    "screen.also_here": ("juga di sini: {names}", "also here: {names}"),
    "screen.opened_by": ("dibuka oleh {operator}", "opened by {operator}"),
    # the counter's state line while it is paused or closed by a hand its state names (state.py `left`)
    "screen.left.paused": ("dijeda oleh {by} sejak {time}", "paused by {by} since {time}"),
    "screen.left.closed": ("ditutup oleh {by} sejak {time}", "closed by {by} since {time}"),
    "screen.left_mine.paused": ("dijeda sejak {time}", "paused since {time}"),
    "screen.left_mine.closed": ("ditutup sejak {time}", "closed since {time}"),
    # a question whose situation changed before it was answered (desk.py): Enter no longer does what it asked
    "confirm.withdrawn": (
        "Pertanyaan tadi dibatalkan: keadaan loket sudah berubah. Tidak ada yang dikirim. Enter/Esc: tutup.",
        "The question was withdrawn: the counter has changed. Nothing was sent. Enter/Esc: dismiss.",
    ),
    # the transfer or park dialog whose ticket left the counter before it was sent (desk.py `recheck`)
    "transfer.withdrawn": (
        "Alihkan {ticket} dibatalkan: tiket itu sudah tidak di loket ini. Tidak ada yang dikirim. Enter/Esc: tutup.",
        "Transferring {ticket} was withdrawn: that ticket is no longer at this counter. Nothing was sent. "
        "Enter/Esc: dismiss.",
    ),
    "park.withdrawn": (
        "Parkir {ticket} dibatalkan: tiket itu sudah tidak di loket ini. Tidak ada yang dikirim. Enter/Esc: tutup.",
        "Parking {ticket} was withdrawn: that ticket is no longer at this counter. Nothing was sent. "
        "Enter/Esc: dismiss.",
    ),
    "confirm.quit_open": (
        "Loket ini masih buka. Keluar tanpa menutup loket? Enter: ya, Esc: batal (lalu F8 untuk menutupnya).",
        "This counter is still open. Quit without closing it? Enter: yes, Esc: cancel (then F8 to close it).",
    ),
    "confirm.quit_paused": (
        "Loket ini sedang istirahat, belum ditutup. Keluar tanpa menutup loket? Enter: ya, Esc: batal.",
        "This counter is on a break, not closed. Quit without closing it? Enter: yes, Esc: cancel.",
    ),
    "confirm.quit_called": (
        "{ticket} sedang dipanggil dan loket ini masih buka. Keluar tanpa menutup loket? Enter: ya, Esc: batal "
        "(lalu F8: {ticket} kembali ke antrean).",
        "{ticket} is called and this counter is still open. Quit without closing it? Enter: yes, Esc: cancel "
        "(then F8: {ticket} goes back to the queue).",
    ),
    "confirm.quit_serving": (
        "{ticket} sedang dilayani dan loket ini masih buka. Keluar tanpa menutup loket? Enter: ya, Esc: batal.",
        "{ticket} is being served and this counter is still open. Quit without closing it? Enter: yes, Esc: cancel.",
    ),
    "typed.hint": (
        "Enter: panggil {ticket} · -: antrekan ulang {ticket}",
        "Enter: call {ticket} · -: requeue {ticket}",
    ),
    "done.call_next": ("Memanggil {ticket}.", "Calling {ticket}."),
    "done.call": ("Memanggil {ticket}.", "Calling {ticket}."),
    "done.recall": ("Memanggil ulang {ticket}.", "Calling {ticket} again."),
    "done.start": ("Mulai melayani {ticket}.", "Serving {ticket}."),
    "done.finish": ("{ticket} selesai dilayani.", "{ticket} done."),
    "done.no_show": ("{ticket} ditandai tidak hadir.", "{ticket} marked as no-show."),
    "done.requeue": ("{ticket} masuk antrean lagi (paling belakang).", "{ticket} is back in the queue (at the end)."),
    "done.transfer": ("{ticket} dialihkan ke {service}.", "{ticket} transferred to {service}."),
    "done.park": ("{ticket} diparkir; loket siap memanggil berikutnya.", "{ticket} parked; the counter is free."),
    "done.unpark": ("Memanggil kembali {ticket}.", "Calling {ticket} back."),
    # command names, for "sending …"
    "cmd.open": ("buka", "open"),
    "cmd.resume": ("lanjut", "resume"),
    "cmd.pause": ("istirahat", "pause"),
    "cmd.close": ("tutup", "close"),
    "cmd.call_next": ("panggil berikutnya", "call next"),
    "cmd.call": ("panggil nomor", "call number"),
    "cmd.recall": ("panggil ulang", "recall"),
    "cmd.start": ("mulai", "start"),
    "cmd.finish": ("selesai", "finish"),
    "cmd.no_show": ("tidak hadir", "no-show"),
    "cmd.requeue": ("antrekan ulang", "requeue"),
    "cmd.transfer": ("alihkan", "transfer"),
    "cmd.park": ("parkir", "park"),
    "cmd.unpark": ("panggil kembali", "call back"),
    # local refusals (the console checks these before asking the server)
    # the site's configuration no longer has this counter (the page's words: static/counter.js, removed.*)
    "removed.title": ("Loket ini sudah tidak ada", "This counter no longer exists"),
    "removed.detail": (
        "{counter} tidak ada lagi dalam konfigurasi {site}.",
        "{counter} is no longer in the configuration of {site}.",
    ),
    "removed.hint": (
        "Perintah untuk loket ini tidak dapat dikirim lagi. Tanyakan kepada supervisor loket mana yang Anda layani, "
        "lalu jalankan counter-client untuk loket tersebut (F10 keluar).",
        "Commands for this counter can no longer be sent. Ask your supervisor which counter you serve, then run "
        "counter-client for that counter (F10 quits).",
    ),
    "session.ended": (
        "Sesi berakhir dan tidak bisa masuk lagi: akun dinonaktifkan atau kata sandinya diganti. Hubungi supervisor, "
        "lalu jalankan counter-client lagi (F10 keluar).",
        "The session ended and signing in again was refused: the account was disabled or its password changed. Ask "
        "a supervisor, then start counter-client again (F10 quits).",
    ),
    "local.busy": ("Tunggu: perintah sebelumnya belum dijawab.", "Wait: the previous command has no answer yet."),
    # a command waiting for the link (down, or in doubt): said with the way out, as on the page
    "local.busy_offline": (
        "Tunggu: perintah sebelumnya belum dijawab; menunggu sambungan… (Esc: batalkan)",
        "Wait: the previous command has no answer yet; waiting for the connection… (Esc: cancel)",
    ),
    "screen.sending_offline": (
        "Menunggu sambungan untuk mengirim {command}… (Esc: batalkan)",
        "Waiting for the connection to send {command}… (Esc: cancel)",
    ),
    "screen.sending_doubtful": (
        "Belum ada jawaban dari server untuk {command}; koneksi bermasalah, sedang diperiksa… (Esc: batalkan)",
        "No answer from the server yet for {command}; the connection is in doubt, checking… (Esc: cancel)",
    ),
    "local.cancelled_offline": (
        "Dibatalkan di konsol ini, tidak dikirim. Jika sudah sampai sebelum sambungan putus, hasilnya tetap tampil "
        "di sini.",
        "Cancelled on this console, not sent. If it reached the server before the link broke, its result still "
        "shows here.",
    ),
    "local.no_ticket": ("Tidak ada tiket yang sedang dipanggil.", "No ticket is called now."),
    "local.not_called": (
        "Tiket ini sedang dilayani; panggil ulang dan tidak hadir hanya untuk tiket yang baru dipanggil.",
        "This ticket is being served; recall and no-show are for a ticket just called.",
    ),
    "local.already_closed": ("Loket sudah tutup.", "The counter is already closed."),
    # today's service day closed by a supervisor (the page's words: counter.js day_closed, local.day_closed, notice)
    "day_closed": (
        "Hari layanan ini ditutup oleh supervisor{reason}. Loket ditutup dan tidak dapat dibuka lagi hari ini.",
        "Today's service day was closed by the supervisor{reason}. The counter is closed and cannot be opened again "
        "today.",
    ),
    "local.day_closed": (
        "Hari layanan ini sudah ditutup oleh supervisor{reason}; loket tidak dapat dibuka lagi hari ini.",
        "Today's service day has been closed by the supervisor{reason}; the counter cannot be opened again today.",
    ),
    "day_closed.notice": (
        "Hari layanan ini sudah ditutup oleh supervisor{reason}. Tidak ada warga yang perlu dipanggil hari ini. Bila "
        "menurut Anda ini keliru, tanyakan kepada supervisor.",
        "Today's service day has been closed by the supervisor{reason}. There is nobody to call today. If you think "
        "this is wrong, ask the supervisor.",
    ),
    "local.ambiguous": (
        "Nomor {number} ada di beberapa layanan ({labels}); ketik hurufnya, misalnya {example}.",
        "Number {number} exists in several services ({labels}); type the letter too, e.g. {example}.",
    ),
    "local.no_target": ("Pilih layanan tujuan dari daftar.", "Pick a target service from the list."),
    "local.cancelled": ("Dibatalkan.", "Cancelled."),
    "local.keys": ("Tombol tidak dikenal: {key}", "Unknown key: {key}"),
    # start-up
    "start.password": ("Kata sandi untuk {user}: ", "Password for {user}: "),
    "start.failed": ("Tidak dapat masuk: {message}", "Cannot sign in: {message}"),
}


def t(name: str, lang: str = "id", /, **values: Any) -> str:
    """The text called `name` in `lang` (Indonesian when unsure), with {placeholders} filled in."""
    pair = TEXTS[name]
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**values) if values else text


def server_message(body: dict[str, Any], lang: str = "id") -> str:
    """A server error body speaks both languages; pick the operator's."""
    if lang == "en":
        return str(body.get("message_en") or body.get("message") or body.get("code"))
    return str(body.get("message") or body.get("message_en") or body.get("code"))


def priority_name(group: str, groups: dict[str, dict[str, str]], lang: str = "id") -> str:
    """The UU 25/2009 group a priority ticket belongs to, as staff may see it (never on a lobby screen), in the
    words of the site's catalogue (`priority_groups` of GET /api/v1/sites/{site}); the code if it has none."""
    names = groups.get(group)
    return names.get(lang, group) if names else group
