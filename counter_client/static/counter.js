// The operator web page: sign in, then follow this counter over the websocket and send its commands.
// Same rules as the Python client (counter_client/client.py): every command has its own command_id; a command
// whose answer was lost with the connection is sent again with the SAME id after reconnecting, so the server
// does it once. The websocket itself (hello, heartbeats, backoff with jitter, resume from the last seq) is the
// client every page shares (/static/shared/live-client.js). The catalogue (service names, transfer targets, this
// counter's services) comes embedded in the page and is read again from /counter/{site}/{counter}/config when the
// site's configuration changes (`site.configured`), so the page follows it without a reload.
import { LiveClient } from "/static/shared/live-client.js";
import { Question } from "/static/shared/question.js";

(() => {
  const body = document.body;
  const SITE = body.dataset.site;
  const COUNTER = body.dataset.counter;
  const TOKEN_KEY = `counter-token:${SITE}`;
  const LANG_KEY = "counter-lang";
  const MAX_RETRY_MS = 15000; // an operator waits at most this long for the counter to come back
  // A command without an answer this long makes the page doubt the link: it pings at once and says so, and a link
  // that stays silent PROBE_MS more is replaced (a network that drops packets without a reset looks connected).
  const ANSWER_DOUBT_MS = 3000;
  const PROBE_MS = 5000;
  const TOTALS = ["done", "no_show", "transferred"];
  const NOTE_MAX = 200; // a transfer's or a park's note (queue_server/domain/decide.py NOTE_MAX; the fields' maxlength)
  const FINAL = new Set(["done", "transferred", "cancelled", "expired"]);

  // --- texts: Indonesian first, English on request ------------------------------------------------------

  const TEXTS = {
    id: {
      "conn.closed": "Belum tersambung", "conn.connecting": "Menyambung…", "conn.connected": "Tersambung",
      "conn.reconnecting": "Terputus, menyambung ulang…", "conn.refused": "Ditolak server",
      "conn.doubtful": "Koneksi bermasalah…",
      "signout": "Keluar", "signin.title": "Masuk sebagai operator", "signin.username": "Nama pengguna",
      "signin.password": "Kata sandi", "signin.submit": "Masuk",
      "session.expired": "Sesi Anda berakhir. Silakan masuk lagi.",
      "signin.disabled": "Akun ini dinonaktifkan — hubungi supervisor. Kata sandinya tidak diterima sampai supervisor mengaktifkannya kembali.",
      "signout.pending": "Keluar belum tercatat di server; akan dicatat begitu tersambung kembali.",
      "current.title": "Tiket saat ini", "counter.title": "Loket", "none": "—",
      "current.none": "Belum ada tiket yang dipanggil.",
      "counter.open": "BUKA", "counter.paused": "ISTIRAHAT", "counter.closed": "TUTUP",
      "ticket.called": "dipanggil", "ticket.serving": "sedang dilayani", "for": "selama {duration}",
      "note": "Catatan: {note}", "priority": "Prioritas: {group}",
      "btn.call_next": "Panggil berikutnya", "btn.recall": "Panggil ulang", "btn.start": "Mulai melayani",
      "btn.finish": "Selesai", "btn.no_show": "Tidak hadir", "btn.transfer": "Alihkan", "btn.pause": "Istirahat",
      "btn.resume": "Lanjutkan", "btn.open": "Buka loket", "btn.close": "Tutup loket", "btn.call": "Panggil",
      "btn.requeue": "Antrekan ulang", "number.label": "Panggil nomor", "number.keys": "angka + Enter",
      "btn.call_typed": "Panggil {ticket}", "btn.requeue_typed": "Antrekan ulang {ticket}",
      "local.number_dropped": "{number} tidak dipanggil dan dihapus dari kolom nomor.",
      "waiting.title": "Menunggu", "no_shows.title": "Tidak hadir", "no_shows.none": "Tidak ada.",
      "waiting.news": "Menunggu sekarang: {counts}.",
      "issuing.paused": "Pengambilan nomor {service} dihentikan: {reason}.",
      "issuing.until": "Perkiraan dibuka kembali pukul {time}.",
      "issuing.until_past": "Perkiraan dibuka kembali pukul {time}, sudah lewat.",
      "issuing.still_called": "Yang sudah menunggu tetap dipanggil.",
      "totals.title": "Hari ini",
      "totals.line": "selesai {done} · tidak hadir {no_show} · dialihkan {transferred}",
      "transfer.title": "Alihkan tiket", "transfer.target": "Layanan tujuan", "transfer.choose": "— pilih layanan —",
      "transfer.choose_first": "Pilih layanan tujuan dulu.",
      "transfer.note": "Catatan untuk loket berikutnya (boleh kosong)", "transfer.send": "Alihkan",
      "transfer.cancel": "Batal", "note.left": "Sisa {left} dari {most} karakter",
      "transfer.paused_option": "sementara berhenti",
      "transfer.paused": "Pengambilan nomor {service} sementara berhenti: {reason}.",
      "transfer.paused_still": "Tiket yang dialihkan ke sana tetap menunggu dan dapat dipanggil.",
      "sending": "Mengirim…",
      "sending_offline": "Menunggu sambungan untuk mengirim… (Esc: batalkan)",
      "sending_doubtful": "Belum ada jawaban dari server; koneksi bermasalah, sedang diperiksa… (Esc: batalkan)",
      "cancelled_offline": "Dibatalkan di halaman ini, tidak dikirim. Jika sudah sampai sebelum sambungan putus, hasilnya tetap tampil di sini.",
      "done.open": "Loket dibuka.", "done.resume": "Loket dilanjutkan.", "done.pause": "Loket istirahat.",
      "done.close": "Loket ditutup.", "done.call_next": "Memanggil {ticket}.", "done.call": "Memanggil {ticket}.",
      "done.recall": "Memanggil ulang {ticket}.", "done.start": "Mulai melayani {ticket}.",
      "done.finish": "{ticket} selesai dilayani.", "done.no_show": "{ticket} ditandai tidak hadir.",
      "done.requeue": "{ticket} masuk antrean lagi (paling belakang).",
      "done.transfer": "{ticket} dialihkan ke {service}.",
      "done.transfer_paused": "{ticket} dialihkan ke {service}. Pengambilan nomor baru di sana sementara berhenti ({reason}); tiket ini tetap menunggu dan dapat dipanggil.",
      "done.park": "{ticket} diparkir; loket siap memanggil berikutnya.",
      "done.unpark": "Memanggil kembali {ticket}.",
      "btn.park": "Parkir", "btn.call_back": "Panggil kembali", "ticket.parked": "diparkir",
      "parked.title": "Diparkir", "parked.none": "Tidak ada.", "parked.since": "sejak {time}",
      "park.title": "Parkir tiket", "park.note": "Apa yang harus dibawa warga? (boleh kosong)",
      "park.hint": "Warga mengambil berkas yang kurang; loket bebas memanggil berikutnya. Panggil kembali dari "
        + "daftar Diparkir.",
      "park.send": "Parkir", "park.cancel": "Batal",
      "local.busy": "Tunggu: perintah sebelumnya belum dijawab.",
      "local.busy_offline": "Tunggu: perintah sebelumnya belum dijawab; menunggu sambungan… (Esc: batalkan)",
      "local.no_ticket": "Tidak ada tiket yang sedang dipanggil.",
      "local.ambiguous": "Nomor {number} ada di beberapa layanan ({labels}); ketik hurufnya, misalnya {example}.",
      "local.no_number": "Ketik nomor tiket dulu.",
      "local.not_open": "Loket belum buka. Buka loket dulu.",
      "local.paused": "Loket sedang istirahat. Lanjutkan dulu.",
      "local.has_ticket": "Selesaikan, alihkan, atau parkir tiket yang sedang ditangani dulu.",
      "local.queue_empty": "Tidak ada yang menunggu untuk loket ini.",
      "local.not_called": "Tiket ini sedang dilayani; panggil ulang dan tidak hadir hanya untuk tiket yang baru dipanggil.",
      "local.already_closed": "Loket sudah tutup.",
      "local.close_serving": "{ticket} sedang dilayani: selesaikan, alihkan, atau parkir dulu, lalu tutup loket.",
      "confirm.close": "Tutup loket?",
      "confirm.close_waiting": "Masih ada {count} warga menunggu ({services}): loket ini tidak memanggil mereka lagi. Pastikan loket lain melayani mereka.",
      "confirm.signout_open": "Loket ini masih buka. Keluar tanpa menutup loket? (Batal, lalu F8, untuk menutupnya dulu.)",
      "confirm.signout_paused": "Loket ini sedang istirahat, belum ditutup. Keluar tanpa menutup loket? (Batal, lalu F8, untuk menutupnya dulu.)",
      "counter.other_operator": "Loket ini dibuka oleh {operator}.",
      "counter.also_here": "Juga di loket ini: {names}.",
      "left.paused": "Dijeda oleh {by} sejak {time}.", "left.closed": "Ditutup oleh {by} sejak {time}.",
      "offline": "Terputus dari server sejak {time}: yang tampil di sini mungkin sudah berubah. Perintah baru dapat diberikan setelah tersambung kembali.",
      "local.offline": "Terputus dari server: perintah ini tidak dikirim. Tunggu sampai tersambung kembali, lalu ulangi.",
      "local.not_sent_offline": "Belum dikirim: sambungan ke server terputus.",
      "transfer.offline": "Terputus dari server: pengalihan belum dapat dikirim. Layanan tujuan dan catatan Anda tetap di sini; kirim setelah tersambung kembali.",
      "park.offline": "Terputus dari server: parkir belum dapat dikirim. Catatan Anda tetap di sini; kirim setelah tersambung kembali.",
      "dialog.back": "Tersambung kembali: sekarang dapat dikirim.",
      "transfer.keys": "Enter: alihkan · Shift+Enter: baris baru · Ctrl+Enter: alihkan catatan beberapa baris",
      "park.keys": "Enter: parkir · Esc: batal",
      "day_closed": "Hari layanan ini ditutup oleh supervisor{reason}. Loket ditutup dan tidak dapat dibuka lagi hari ini.",
      "day_closed_ticket": "Hari layanan ini ditutup oleh supervisor{reason}. {ticket}, yang sedang ditangani, berakhir tanpa dicatat selesai. Loket ditutup dan tidak dapat dibuka lagi hari ini.",
      "local.day_closed": "Hari layanan ini sudah ditutup oleh supervisor{reason}; loket tidak dapat dibuka lagi hari ini.",
      "local.day_closed_requeue": "Hari layanan ini sudah ditutup oleh supervisor{reason}; {ticket} tidak dapat diantrekan ulang hari ini: tidak ada loket yang dapat dibuka untuk memanggilnya. Minta warga kembali pada hari kerja berikutnya.",
      "day_closed.notice": "Hari layanan ini sudah ditutup oleh supervisor{reason}. Tidak ada warga yang perlu dipanggil hari ini. Bila menurut Anda ini keliru, tanyakan kepada supervisor.",
      "retry.in": "Mencoba menyambung lagi dalam {seconds} detik.", "retry.now": "Mencoba menyambung sekarang…",
      "retry.button": "Coba sekarang",
      "unknown_service.reload": "Daftar layanan di halaman ini sudah usang: muat ulang halaman untuk daftar layanan terbaru.",
      "reload.button": "Muat ulang halaman", "queue.label": "Menunggu, tidak hadir, diparkir",
      "left_mine.paused": "Dijeda sejak {time}.", "left_mine.closed": "Ditutup sejak {time}.",
      "heard.waiting": "Belum diumumkan di TV (antrean suara: {queue})",
      "heard.waiting_unknown": "Belum diumumkan di TV",
      "heard.announced": "Sudah diumumkan di TV",
      "heard.no_speaker": "Tidak ada TV bersuara yang tersambung untuk loket ini: panggilan tidak diumumkan",
      "confirm.no_show_unheard": "{ticket} belum diumumkan di TV ({why}): warga mungkin belum mendengar nomornya. Tetap tandai {ticket} tidak hadir?",
      "why.waiting": "antrean suara: {queue}", "why.waiting_unknown": "masih menunggu giliran",
      "why.no_speaker": "tidak ada TV bersuara yang tersambung",
      "others.called": "{ticket} dipanggil ke loket ini oleh {by}.",
      "others.recalled": "{ticket} dipanggil ulang oleh {by}.",
      "others.started": "{ticket} mulai dilayani oleh {by}.",
      "others.finished": "{ticket} diselesaikan oleh {by}.",
      "others.no_show": "{ticket} ditandai tidak hadir oleh {by}.",
      "others.parked": "{ticket} diparkir oleh {by}.",
      "others.transferred": "{ticket} dialihkan oleh {by}.",
      "others.returned": "Loket ditutup oleh {by}; {ticket} kembali ke antrean.",
      "others.cancelled": "{ticket} dibatalkan oleh {by}.",
      "mine.called": "{ticket} dipanggil ke loket ini dari layar lain dengan akun Anda.",
      "mine.recalled": "{ticket} dipanggil ulang dari layar lain dengan akun Anda.",
      "mine.started": "{ticket} mulai dilayani dari layar lain dengan akun Anda.",
      "mine.finished": "{ticket} diselesaikan dari layar lain dengan akun Anda.",
      "mine.no_show": "{ticket} ditandai tidak hadir dari layar lain dengan akun Anda.",
      "mine.parked": "{ticket} diparkir dari layar lain dengan akun Anda.",
      "mine.transferred": "{ticket} dialihkan dari layar lain dengan akun Anda.",
      "mine.returned": "Loket ditutup dari layar lain dengan akun Anda; {ticket} kembali ke antrean.",
      "mine.cancelled": "{ticket} dibatalkan dari layar lain dengan akun Anda.",
      "mine.requeued": "{ticket} masuk antrean lagi dari layar lain dengan akun Anda.",
      "now.counter_open": "Loket sekarang buka.", "now.counter_paused": "Loket sekarang istirahat.",
      "now.counter_closed": "Loket sekarang tutup.",
      "others.counter.paused": "Loket dijeda oleh {by} pukul {time}.",
      "others.counter.closed": "Loket ditutup oleh {by} pukul {time}.",
      "others.counter.open": "Loket dibuka oleh {by} pukul {time}.",
      "others.counter.resumed": "Loket dilanjutkan oleh {by} pukul {time}.",
      "mine.counter.paused": "Loket dijeda dari layar lain dengan akun Anda pukul {time}.",
      "mine.counter.closed": "Loket ditutup dari layar lain dengan akun Anda pukul {time}.",
      "now.waiting": "Sekarang ada warga yang menunggu untuk loket ini.",
      "confirm.close_called": "Tutup loket? {ticket} yang sedang dipanggil kembali ke antrean di urutan semula.",
      "confirm.no_show": "Tandai {ticket} tidak hadir?",
      "ask.no": "Batal", "ask.yes.no_show": "Ya, tandai tidak hadir", "ask.yes.close": "Ya, tutup loket",
      "ask.yes.signout": "Ya, keluar",
      "ask.withdrawn": "Pertanyaan tadi dibatalkan: keadaan loket sudah berubah. Tidak ada yang dikirim.",
      "ask.withdrawn_link": "Pertanyaan tadi dibatalkan: sambungan ke server terputus. Tidak ada yang dikirim.",
      "transfer.withdrawn": "Alihkan {ticket} dibatalkan: tiket itu sudah tidak di loket ini. Tidak ada yang dikirim.",
      "park.withdrawn": "Parkir {ticket} dibatalkan: tiket itu sudah tidak di loket ini. Tidak ada yang dikirim.",
      "done.close_returned": "Loket ditutup. {ticket} kembali ke antrean di urutan semula.",
      "removed.title": "Loket ini sudah tidak ada",
      "removed.detail": "{counter} tidak ada lagi dalam konfigurasi {site}.",
      "removed.hint": "Perintah untuk loket ini tidak dapat dikirim lagi. Tanyakan kepada supervisor loket mana "
        + "yang Anda layani, lalu buka halaman loket tersebut.",
    },
    en: {
      "conn.closed": "Not connected", "conn.connecting": "Connecting…", "conn.connected": "Connected",
      "conn.reconnecting": "Disconnected, reconnecting…", "conn.refused": "Refused by the server",
      "conn.doubtful": "Connection in doubt…",
      "signout": "Sign out", "signin.title": "Sign in as an operator", "signin.username": "Username",
      "signin.password": "Password", "signin.submit": "Sign in",
      "session.expired": "Your session has ended. Please sign in again.",
      "signin.disabled": "This account has been disabled — ask a supervisor. Its password is refused until a supervisor enables it again.",
      "signout.pending": "Signing out is not recorded on the server yet; it will be as soon as the connection is back.",
      "current.title": "Current ticket", "counter.title": "Counter", "none": "—",
      "current.none": "No ticket called.",
      "counter.open": "OPEN", "counter.paused": "PAUSED", "counter.closed": "CLOSED",
      "ticket.called": "called", "ticket.serving": "being served", "for": "for {duration}",
      "note": "Note: {note}", "priority": "Priority: {group}",
      "btn.call_next": "Call next", "btn.recall": "Recall", "btn.start": "Start service", "btn.finish": "Finish",
      "btn.no_show": "No-show", "btn.transfer": "Transfer", "btn.pause": "Pause", "btn.resume": "Resume",
      "btn.open": "Open counter", "btn.close": "Close counter", "btn.call": "Call", "btn.requeue": "Requeue",
      "number.label": "Call number", "number.keys": "digits + Enter",
      "btn.call_typed": "Call {ticket}", "btn.requeue_typed": "Requeue {ticket}",
      "local.number_dropped": "{number} was not called and is cleared from the number field.",
      "waiting.title": "Waiting", "no_shows.title": "No-shows", "no_shows.none": "None.",
      "waiting.news": "Waiting now: {counts}.",
      "issuing.paused": "Issuing of {service} tickets is paused: {reason}.",
      "issuing.until": "Expected to resume at {time}.",
      "issuing.until_past": "Expected to resume at {time}, now past.",
      "issuing.still_called": "Those already waiting are still called.",
      "totals.title": "Today",
      "totals.line": "done {done} · no-show {no_show} · transferred {transferred}",
      "transfer.title": "Transfer ticket", "transfer.target": "Target service", "transfer.choose": "— choose a service —",
      "transfer.choose_first": "Choose the target service first.",
      "transfer.note": "Note for the next counter (optional)", "transfer.send": "Transfer",
      "transfer.cancel": "Cancel", "note.left": "{left} of {most} characters left",
      "transfer.paused_option": "paused for now",
      "transfer.paused": "Issuing of {service} tickets is paused for now: {reason}.",
      "transfer.paused_still": "A ticket transferred there still waits and can be called.",
      "sending": "Sending…",
      "sending_offline": "Waiting for the connection to send… (Esc: cancel)",
      "sending_doubtful": "No answer from the server yet; the connection is in doubt, checking… (Esc: cancel)",
      "cancelled_offline": "Cancelled on this page, not sent. If it reached the server before the link broke, its result still shows here.",
      "done.open": "Counter opened.", "done.resume": "Counter resumed.", "done.pause": "Counter paused.",
      "done.close": "Counter closed.", "done.call_next": "Calling {ticket}.", "done.call": "Calling {ticket}.",
      "done.recall": "Calling {ticket} again.", "done.start": "Serving {ticket}.", "done.finish": "{ticket} done.",
      "done.no_show": "{ticket} marked as no-show.", "done.requeue": "{ticket} is back in the queue (at the end).",
      "done.transfer": "{ticket} transferred to {service}.",
      "done.transfer_paused": "{ticket} transferred to {service}. New tickets there are paused for now ({reason}); this one still waits and can be called.",
      "done.park": "{ticket} parked; the counter is free.",
      "done.unpark": "Calling {ticket} back.",
      "btn.park": "Park", "btn.call_back": "Call back", "ticket.parked": "parked",
      "parked.title": "Parked", "parked.none": "None.", "parked.since": "since {time}",
      "park.title": "Park ticket", "park.note": "What must the citizen bring? (optional)",
      "park.hint": "The citizen fetches a missing document; the counter is free for the next one. Call them back "
        + "from the Parked list.",
      "park.send": "Park", "park.cancel": "Cancel",
      "local.busy": "Wait: the previous command has no answer yet.",
      "local.busy_offline": "Wait: the previous command has no answer yet; waiting for the connection… (Esc: cancel)",
      "local.no_ticket": "No ticket is called now.",
      "local.ambiguous": "Number {number} exists in several services ({labels}); type the letter too, e.g. {example}.",
      "local.no_number": "Type a ticket number first.",
      "local.not_open": "The counter is not open. Open it first.",
      "local.paused": "The counter is on a break. Resume it first.",
      "local.has_ticket": "Finish, transfer or park the current ticket first.",
      "local.queue_empty": "Nobody is waiting for this counter.",
      "local.not_called": "This ticket is being served; recall and no-show are for a ticket just called.",
      "local.already_closed": "The counter is already closed.",
      "local.close_serving": "{ticket} is being served: finish, transfer or park it first, then close the counter.",
      "confirm.close": "Close the counter?",
      "confirm.close_waiting": "{count} citizens are still waiting ({services}): this counter will not call them. Make sure another counter serves them.",
      "confirm.signout_open": "This counter is still open. Sign out without closing it? (Cancel, then F8, to close it first.)",
      "confirm.signout_paused": "This counter is on a break, not closed. Sign out without closing it? (Cancel, then F8, to close it first.)",
      "counter.other_operator": "This counter was opened by {operator}.",
      "counter.also_here": "Also at this counter: {names}.",
      "left.paused": "Paused by {by} since {time}.", "left.closed": "Closed by {by} since {time}.",
      "offline": "Disconnected from the server since {time}: what is shown here may have changed. New commands can be given once the connection is back.",
      "local.offline": "Disconnected from the server: this command was not sent. Wait until the connection is back, then try again.",
      "local.not_sent_offline": "Not sent: the connection to the server is lost.",
      "transfer.offline": "Disconnected from the server: the transfer cannot be sent yet. Your target service and note stay here; send it once the connection is back.",
      "park.offline": "Disconnected from the server: the park cannot be sent yet. Your note stays here; send it once the connection is back.",
      "dialog.back": "Connected again: it can be sent now.",
      "transfer.keys": "Enter: transfer · Shift+Enter: new line · Ctrl+Enter: transfer a note of several lines",
      "park.keys": "Enter: park · Esc: cancel",
      "day_closed": "Today's service day was closed by the supervisor{reason}. The counter is closed and cannot be opened again today.",
      "day_closed_ticket": "Today's service day was closed by the supervisor{reason}. {ticket}, at the counter, ended without being recorded as finished. The counter is closed and cannot be opened again today.",
      "local.day_closed": "Today's service day has been closed by the supervisor{reason}; the counter cannot be opened again today.",
      "local.day_closed_requeue": "Today's service day has been closed by the supervisor{reason}; {ticket} cannot be requeued today: no counter can be opened to call it. Ask the citizen to come back on the next working day.",
      "day_closed.notice": "Today's service day has been closed by the supervisor{reason}. There is nobody to call today. If you think this is wrong, ask the supervisor.",
      "retry.in": "Trying to reconnect in {seconds} s.", "retry.now": "Trying to connect now…",
      "retry.button": "Try now",
      "unknown_service.reload": "The list of services on this page is out of date: reload the page for the current list of services.",
      "reload.button": "Reload page", "queue.label": "Waiting, no-shows, parked",
      "left_mine.paused": "Paused since {time}.", "left_mine.closed": "Closed since {time}.",
      "heard.waiting": "Not yet announced on the TV (speech queue: {queue})",
      "heard.waiting_unknown": "Not yet announced on the TV",
      "heard.announced": "Announced on the TV",
      "heard.no_speaker": "No TV with sound is connected for this counter: the call is not announced",
      "confirm.no_show_unheard": "{ticket} has not been announced on the TV yet ({why}): the citizen may not have heard their number. Mark {ticket} as no-show anyway?",
      "why.waiting": "speech queue: {queue}", "why.waiting_unknown": "still waiting its turn",
      "why.no_speaker": "no TV with sound is connected",
      "others.called": "{ticket} was called to this counter by {by}.",
      "others.recalled": "{ticket} was called again by {by}.",
      "others.started": "{by} started serving {ticket}.",
      "others.finished": "{ticket} was finished by {by}.",
      "others.no_show": "{ticket} was marked no-show by {by}.",
      "others.parked": "{ticket} was parked by {by}.",
      "others.transferred": "{ticket} was transferred by {by}.",
      "others.returned": "The counter was closed by {by}; {ticket} is back in the queue.",
      "others.cancelled": "{ticket} was cancelled by {by}.",
      "mine.called": "{ticket} was called to this counter from another screen signed in as you.",
      "mine.recalled": "{ticket} was called again from another screen signed in as you.",
      "mine.started": "{ticket} was started from another screen signed in as you.",
      "mine.finished": "{ticket} was finished from another screen signed in as you.",
      "mine.no_show": "{ticket} was marked no-show from another screen signed in as you.",
      "mine.parked": "{ticket} was parked from another screen signed in as you.",
      "mine.transferred": "{ticket} was transferred from another screen signed in as you.",
      "mine.returned": "The counter was closed from another screen signed in as you; {ticket} is back in the queue.",
      "mine.cancelled": "{ticket} was cancelled from another screen signed in as you.",
      "mine.requeued": "{ticket} is back in the queue, from another screen signed in as you.",
      "now.counter_open": "The counter is open now.", "now.counter_paused": "The counter is on a break now.",
      "now.counter_closed": "The counter is closed now.",
      "others.counter.paused": "The counter was paused by {by} at {time}.",
      "others.counter.closed": "The counter was closed by {by} at {time}.",
      "others.counter.open": "The counter was opened by {by} at {time}.",
      "others.counter.resumed": "The counter was resumed by {by} at {time}.",
      "mine.counter.paused": "The counter was paused at {time} from another screen signed in as you.",
      "mine.counter.closed": "The counter was closed at {time} from another screen signed in as you.",
      "now.waiting": "Someone is waiting for this counter now.",
      "confirm.close_called": "Close the counter? {ticket}, called now, goes back to the queue in its old place.",
      "confirm.no_show": "Mark {ticket} as no-show?",
      "ask.no": "Cancel", "ask.yes.no_show": "Yes, mark no-show", "ask.yes.close": "Yes, close the counter",
      "ask.yes.signout": "Yes, sign out",
      "ask.withdrawn": "The question was withdrawn: the counter has changed. Nothing was sent.",
      "ask.withdrawn_link": "The question was withdrawn: the connection to the server dropped. Nothing was sent.",
      "transfer.withdrawn": "Transferring {ticket} was withdrawn: that ticket is no longer at this counter. Nothing was sent.",
      "park.withdrawn": "Parking {ticket} was withdrawn: that ticket is no longer at this counter. Nothing was sent.",
      "done.close_returned": "Counter closed. {ticket} is back in the queue in its old place.",
      "removed.title": "This counter no longer exists",
      "removed.detail": "{counter} is no longer in the configuration of {site}.",
      "removed.hint": "Commands for this counter can no longer be sent. Ask your supervisor which counter you "
        + "serve, then open that counter's page.",
    },
  };

  // UU 25/2009 priority groups (queue_server/domain/catalogue.py): staff see why a ticket went first.
  const PRIORITY = {
    disabilitas: ["Penyandang disabilitas", "Persons with disabilities"], lansia: ["Lanjut usia", "Elderly"],
    ibu_hamil: ["Ibu hamil", "Pregnant women"], anak: ["Anak-anak", "Children"],
    korban_bencana_alam: ["Korban bencana alam", "Victims of natural disasters"],
    korban_bencana_sosial: ["Korban bencana sosial", "Victims of social disasters"],
  };

  // ?lang=en (or id) in the address wins over the operator's last choice on this machine.
  const askedLang = new URLSearchParams(location.search).get("lang");
  let lang = ["id", "en"].includes(askedLang) ? askedLang : localStorage.getItem(LANG_KEY) === "en" ? "en" : "id";

  function t(key, values = {}, language = lang) {
    const text = TEXTS[language][key] ?? TEXTS.id[key] ?? key;
    // `name_en` gives a value its English form ("10:02" for "10.02"), as counter_client/desk.py Message.of does
    const value = (name) => (language === "en" ? values[`${name}_en`] : undefined) ?? values[name];
    return text.replace(/\{(\w+)\}/g, (_, name) => String(value(name) ?? ""));
  }

  // A message in both languages, so switching language re-renders the same line.
  function localMessage(key, values = {}, error = false) {
    return { id: t(key, values, "id"), en: t(key, values, "en"), error };
  }

  function serverMessage(bodyOrFrame) {
    return { id: bodyOrFrame.message || bodyOrFrame.code, en: bodyOrFrame.message_en || bodyOrFrame.message, error: true };
  }

  // The refusal of a service the site no longer has, with what to do: reload (the line offers a button for it).
  function staleServices(msg) {
    const more = (language) => `${msg[language] ? `${msg[language]} ` : ""}${t("unknown_service.reload", {}, language)}`;
    return { ...msg, id: more("id"), en: more("en"), reload: true };
  }

  // --- the counter's picture (the same folding as counter_client/state.py) -----------------------------

  const view = {
    services: [], state: "closed", operator: null, currentId: null, tickets: new Map(),
    leftBy: null, leftAt: null, // who paused or closed it and when, as its state names them (null: nobody named)
    was: null, // its state before the latest change of it (an opening said as "dilanjutkan" after a break)
    totals: { done: 0, no_show: 0, transferred: 0 }, seq: 0,
    // The service day a supervisor (or the server at its end) closed, as the site's date ("2026-12-07"), or null:
    // nothing opens while it is today (dayClosed()); the next day begins open without a word from the server.
    closedDay: null,
    dayReason: null, // why, as the supervisor said it (null: no reason given)
    heard: null, // the called ticket: said on a speaker TV yet? (the server's `announcement` notice)
    // The site's services whose issuing is paused, with why: service -> { reason, since, until, day }. From the
    // snapshot's `issuing_paused` and the `service.paused` / `service.resumed` events; a pause ends with its day.
    paused: new Map(),
  };
  // Who is signed in at this counter now (the server's `operators` notice): null until told.
  let present = null;
  // account -> the person's name, as the server names them (the `people` of its frames, those notices): the
  // server's one rule (the person's name, else the account), kept after a colleague leaves and across reconnects
  const displayNames = new Map();
  const seenLeaving = new Set(); // accounts seen signed in here, then gone

  function setCounter(c) {
    if (c.state && c.state !== view.state) view.was = view.state;
    view.state = c.state ?? view.state;
    view.operator = c.operator ?? view.operator;
    view.currentId = c.current ?? null;
    const [byField, atField] = LEFT_BY[view.state] || [];
    view.leftBy = (byField && c[byField]) || null;
    view.leftAt = (atField && c[atField]) || null;
  }

  function learn(people) {
    if (!people || typeof people !== "object") return;
    for (const [account, name] of Object.entries(people)) if (account && typeof name === "string" && name) displayNames.set(account, name);
  }

  // What the message line may speak of (a ticket's state, the counter's state, the counter's ticket), as the page
  // saw it last and the seq that told it: key ("t:<id>", "counter", "current") -> { state, seq }.
  const seen = new Map();

  function saw(key, state, seq) {
    seen.set(key, { state, seq });
  }

  function sawCounter(seq) {
    saw("counter", view.state, seq);
    saw("current", view.currentId || "", seq);
  }

  function applySnapshot(data, seq) {
    view.seq = seq;
    view.paused = new Map(Object.entries(data.issuing_paused || {}).map(([service, p]) => [service, { ...p, day: data.day }]));
    view.closedDay = data.day_closed ? data.day || siteDate(serverNow()) : null;
    view.dayReason = (view.closedDay && data.day_closed_reason) || null;
    view.tickets = new Map();
    for (const ticket of data.tickets || []) if (view.services.includes(ticket.service)) view.tickets.set(ticket.id, ticket);
    view.currentId = null;
    for (const c of data.counters || []) {
      if (c.id !== COUNTER) continue;
      setCounter(c);
      if (c.ticket) view.tickets.set(c.ticket.id, c.ticket);
      for (const k of TOTALS) view.totals[k] = (c.today || {})[k] || 0;
    }
    seen.clear();
    for (const ticket of view.tickets.values()) saw(`t:${ticket.id}`, ticket.state, seq);
    sawCounter(seq);
  }

  function putTicket(ticket) {
    const old = view.tickets.get(ticket.id);
    if (!old || old.state !== ticket.state) {
      if (old && old.state === "no_show" && old.counter === COUNTER) view.totals.no_show -= 1;
      if (TOTALS.includes(ticket.state) && ticket.counter === COUNTER) view.totals[ticket.state] += 1;
    }
    if (FINAL.has(ticket.state) || !view.services.includes(ticket.service)) view.tickets.delete(ticket.id);
    else view.tickets.set(ticket.id, ticket);
  }

  function applyEvent(message) {
    if ((message.seq || 0) <= view.seq) return false;
    view.seq = message.seq;
    const data = message.data || {};
    for (const key of ["ticket", "new_ticket"]) {
      if (data[key] && typeof data[key] === "object") {
        putTicket(data[key]);
        saw(`t:${data[key].id}`, data[key].state, message.seq);
      }
    }
    if (data.counter && typeof data.counter === "object" && data.counter.id === COUNTER) {
      setCounter(data.counter);
      sawCounter(message.seq);
    }
    if (message.type === "day.closed") for (const k of TOTALS) view.totals[k] = 0;
    if (message.type === "day.closed" && data.day === siteDate(serverNow())) {
      view.closedDay = data.day;
      if (typeof data.reason === "string" && data.reason) view.dayReason = data.reason; // a second close keeps the first's
    }
    if (message.type === "day.reopened") { view.closedDay = null; view.dayReason = null; }
    if (message.type === "service.paused") for (const p of data.pauses || []) view.paused.set(p.service, p);
    if (message.type === "service.resumed") for (const service of data.services || []) view.paused.delete(service);
    return true;
  }

  const current = () => (view.currentId ? view.tickets.get(view.currentId) || null : null);

  // Today closed: the day the page knows closed is the site's today (at midnight the next day begins open).
  const dayClosed = () => view.closedDay !== null && view.closedDay === siteDate(serverNow());

  // " (Gangguan listrik)": the supervisor's reason for closing today, as the page's sentences put it.
  const dayReason = () => (view.dayReason ? ` (${view.dayReason})` : "");

  // The announcement status of the called ticket `c` (null: none to show: nothing called, no speaker TV, or the
  // server cannot tell).
  function heardOf(c) {
    const h = view.heard;
    if (!c || c.state !== "called" || !h || h.ticket !== c.id || !["waiting", "announced", "no_speaker"].includes(h.status)) return null;
    return h;
  }

  function whyUnheard(h) {
    if (h.status === "no_speaker") return t("why.no_speaker");
    return h.speech_queue == null ? t("why.waiting_unknown") : t("why.waiting", { queue: h.speech_queue });
  }

  function heardText(h) {
    if (h.status === "waiting") return h.speech_queue == null ? t("heard.waiting_unknown") : t("heard.waiting", { queue: h.speech_queue });
    return t(`heard.${h.status}`);
  }

  function waitingCounts() {
    const counts = new Map(view.services.map((s) => [s, 0]));
    for (const ticket of view.tickets.values()) {
      if (ticket.state === "waiting" && counts.has(ticket.service)) counts.set(ticket.service, counts.get(ticket.service) + 1);
    }
    return counts;
  }

  // Parked tickets of this counter's services (set aside here or at another counter), the longest parked first.
  function parkedTickets() {
    const since = (x) => x.parked_at || ""; // the ticket says when its counter set it aside
    return [...view.tickets.values()].filter((x) => x.state === "parked")
      .sort((a, b) => since(a).localeCompare(since(b)) || a.label.localeCompare(b.label));
  }

  function noShows() {
    return [...view.tickets.values()].filter((x) => x.state === "no_show")
      .sort((a, b) => String(b.finished_at).localeCompare(String(a.finished_at)));
  }

  // --- the connection ----------------------------------------------------------------------------------

  let catalogue = JSON.parse(document.getElementById("counter-config").textContent);
  view.services = catalogue.counter.services;
  let token = sessionStorage.getItem(TOKEN_KEY);
  let disabledAccount = null; // { name } once the server said this tab's account was disabled
  let user = null;
  let link = null; // the LiveClient while signed in
  let clockOffset = 0;
  let connState = "closed";
  let message = null;
  const pending = new Map(); // command_id -> {frame, name, resolve, reject}

  // Works on plain http:// on the LAN too, where crypto.randomUUID() is not available.
  function newCommandId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // When the link was lost (server time), while the page is cut off: the desk then shows the last state it knew.
  let lostAt = null;
  // While the link is being re-established: when the next attempt is due (Date.now() ms, the shared client's own
  // backoff with its jitter, as it chose it), null while an attempt is under way; `retrying` from the first failed
  // attempt until connected. Said on the desk with a count down and a "try now" (`link.retryNow()`).
  let retryAt = null;
  let retrying = false;

  function setConnection(state, detail = {}) {
    const wasUp = connState === "connected" || connState === "doubtful";
    connState = state;
    retryAt = state === "reconnecting" ? Date.now() + (detail.delayMs || 0) : null;
    if (state === "reconnecting") retrying = true;
    else if (state !== "connecting") retrying = false;
    if (state === "connected" || state === "closed" || state === "refused") lostAt = null;
    else if (wasUp && state !== "doubtful") lostAt = serverNow();
    if (state === "connected") revokeNow(); // the server answers again: a sign-out it missed is recorded now
    if (state === "connected" && message?.about?.key === "link") message = null; // "Terputus ...": no longer so
    recheckQuestions(); // a link that drops withdraws a question whose "yes" would send a command
    render();
  }

  function openSocket() {
    link?.close();
    link = new LiveClient({
      hello: () => ({ role: "counter", site: SITE, counter: COUNTER, token }),
      lastSeq: view.seq, // signing in again resumes where the page was
      maxDelayMs: MAX_RETRY_MS,
      onMessage: dispatch,
      onStatus: (state, detail) => {
        if (state === "refused") refused(detail.error);
        else if (state !== "closed") setConnection(state, detail);
      },
    });
    link.start();
  }

  function dispatch(frame) {
    if (frame.type === "welcome") {
      clockOffset = Date.parse(frame.server_time) - Date.now();
      learnWho(); // the server is back: a question it could not answer at load is asked now
      // Commands whose answer never came go out again with their own command_id.
      for (const p of pending.values()) sendCommand(p);
    } else if (frame.type === "snapshot") {
      // A snapshot stands for every event before it, a `site.configured` among them (after an outage too long
      // to replay, or while nobody was signed in): the catalogue is read again with it.
      if (!resyncing) refreshConfig();
      resyncing = false;
      learn(frame.people); // who its counter names, by name: said again after a reconnect or a reload
      applySnapshot(frame.data || {}, frame.seq || 0);
      if (waitingSaid === null) waitingSaid = waitingKey(); // the counts found at sign-in are not news
      claims = []; // events the snapshot stands for will not come
      waitingNews();
      if (untrue(message?.about)) message = null; // changed while the page was away: what happened is not known
      recheckQuestions();
      render();
    } else if (frame.type === "command_result") {
      const p = pending.get(frame.command_id);
      if (p) { pending.delete(frame.command_id); p.resolve(frame.result); }
    } else if (frame.type === "error") {
      if (frame.code === "unknown_counter") refreshConfig(); // removed meanwhile? the config says so
      const p = frame.command_id ? pending.get(frame.command_id) : null;
      if (p) { pending.delete(frame.command_id); p.reject(frame); }
      else show(frame.code === "unknown_service" ? staleServices(serverMessage(frame)) : serverMessage(frame));
    } else if (frame.type === "operators" && frame.counter === COUNTER) {
      atCounter(frame.operators || []);
      render();
    } else if (frame.type === "announcement" && frame.counter === COUNTER) {
      view.heard = frame.data || null;
      render();
    } else if (typeof frame.type === "string" && frame.type.includes(".")) {
      if (frame.type === "site.configured" && frame.seq > view.seq) refreshConfig();
      const before = current();
      learn(frame.people);
      if (applyEvent(frame)) {
        overtaken(frame);
        byOthers(frame, before);
        notMadeHere(frame, before);
        dayClosedHere(frame, before);
        waitingNews();
        recheckQuestions();
        render();
      }
    }
  }

  function atCounter(operators) {
    const names = new Set(operators.map((o) => o.name));
    for (const o of operators) displayNames.set(o.name, o.display_name || o.name);
    for (const name of present || []) if (!names.has(name)) seenLeaving.add(name);
    for (const name of names) seenLeaving.delete(name);
    present = names;
  }

  const personOf = (account) => displayNames.get(account) || account;

  // A colleague at this counter (or a supervisor) changed its ticket: said in the message line, by name, so that
  // "Mulai melayani B-001" does not stay there with B-001 gone.
  const BY_OTHERS = {
    "ticket.called": "others.called", "ticket.recalled": "others.recalled", "ticket.started": "others.started",
    "ticket.finished": "others.finished", "ticket.no_show": "others.no_show", "ticket.parked": "others.parked",
    "ticket.transferred": "others.transferred", "ticket.returned": "others.returned",
    "ticket.cancelled": "others.cancelled",
  };

  function byOthers(frame, before) {
    const ticket = frame.data?.ticket;
    const key = BY_OTHERS[frame.type];
    if (!key || !ticket || !ticket.by || !user || ticket.by === user.name) return;
    const ours = before?.id === ticket.id || (frame.type === "ticket.called" && ticket.counter === COUNTER);
    if (ours) message = saidOf(frame, localMessage(key, { ticket: ticket.label, by: personOf(ticket.by) }), ticket);
  }

  function saidOf(frame, msg, ticket) {
    // "Loket ditutup oleh ...; B-001 kembali ke antrean." says the close too: its counter.closed adds nothing.
    return { ...said(msg, `t:${ticket.id}`, ticket.state), returned: frame.type === "ticket.returned" };
  }

  // What changed here that this tab did not do is said, as a colleague's change is (byOthers): a screen reader
  // hears the line (role=status), and an operator on two tabs or two devices heard nothing of a call, a finish or a
  // break made on the other one. This account's change of the counter's ticket made elsewhere is said as such
  // ("B-001 diselesaikan dari layar lain dengan akun Anda."), a change of the counter's state by any other hand as
  // the state now ("Loket sekarang istirahat."); what this tab has just done is not said again.
  // Events carry the account, not the tab: an event is this tab's when its command's answer lists it. Answers and
  // events travel separately, so an event that comes while a command is on its way waits for that answer (a few
  // ms), and an answer that comes first leaves a claim on its events.
  let claims = []; // { type, ticket }: events of this tab's answers that have not come yet
  let held = []; // { frame, before }: events that came while a command of this tab was on its way

  function notMadeHere(frame, before) {
    const counter = frame.data?.counter;
    const ticket = frame.data?.ticket;
    const candidate = frame.type.startsWith("counter.") ? counter?.id === COUNTER
      : Boolean(MINE[frame.type] && ticket && user && ticket.by === user.name);
    if (!candidate || claimed(frame)) return;
    if (mayEcho(frame, user?.name)) held.push({ frame, before });
    else sayElsewhere(frame, before);
  }

  // Today's day closed under the operator: its ticket.expired events, the counter.closed naming nobody ("Loket sekarang
  // tutup."), then day.closed with the supervisor's reason. Said as such once it is known, with the citizen the close
  // took from the desk: the counter cannot be opened again today, and the operator may have someone in front of them.
  let endedHere = null; // the counter's ticket the close has just expired, until its day.closed
  function dayClosedHere(frame, before) {
    const ticket = frame.data?.ticket;
    if (frame.type === "ticket.expired" && before && ticket?.id === before.id) endedHere = before.label;
    if (frame.type !== "day.closed") return;
    const ended = endedHere;
    endedHere = null;
    if (!dayClosed() || view.state !== "closed") return;
    const reason = dayReason();
    const words = ended ? localMessage("day_closed_ticket", { reason, ticket: ended }) : localMessage("day_closed", { reason });
    message = saidNow(words, "counter");
  }

  // The events each counter command can make (counter_client/news.py ECHOES, held to it by a test): an event of
  // another type, or a counter opened, paused or closed by another account (ACCOUNT_OF), is never the echo of this
  // tab's command on its way, and is said at once.
  const ECHOES = {
    open: ["counter.opened"], resume: ["counter.opened"], pause: ["counter.paused"],
    close: ["ticket.returned", "counter.closed"], call_next: ["ticket.called"], call: ["ticket.called"],
    unpark: ["ticket.called"], recall: ["ticket.recalled"], start: ["ticket.started"],
    finish: ["ticket.started", "ticket.finished"], no_show: ["ticket.no_show"], requeue: ["ticket.requeued"],
    transfer: ["ticket.transferred"], park: ["ticket.parked"],
  };

  const ACCOUNT_OF = { "counter.opened": "operator", "counter.paused": "paused_by", "counter.closed": "closed_by" };

  function mayEcho(frame, me) {
    if (![...pending.values()].some((p) => (ECHOES[p.name] || []).includes(frame.type))) return false;
    const field = ACCOUNT_OF[frame.type];
    const account = field ? frame.data?.counter?.[field] : null;
    return !me || !account || account === me;
  }

  function claimed(frame) {
    const id = frame.data?.ticket?.id ?? null;
    const i = claims.findIndex((c) => c.type === frame.type && (c.ticket === null || id === null || c.ticket === id));
    if (i >= 0) claims.splice(i, 1);
    return i >= 0;
  }

  // A command's answer (null: refused, it made nothing) names this tab's events; those held that it does not name
  // were made elsewhere. Returns what they say, for the answer's line to say after its own words (afterAnswer): set
  // as the line and replaced at once by the answer, they went unsaid.
  function answered(result) {
    for (const type of result?.events || []) {
      claims.push({ type, ticket: type.startsWith("ticket.") ? result.ticket?.id ?? null : null });
    }
    claims = claims.slice(-20); // claims whose events never came (folded into a snapshot) do not pile up
    const waiting = held;
    held = [];
    const news = [];
    for (const { frame, before } of waiting) {
      if (claimed(frame)) continue;
      if (mayEcho(frame, null)) { held.push({ frame, before }); continue; } // another command on its way may claim it
      const was = message;
      sayElsewhere(frame, before);
      if (message !== was) news.push(message);
    }
    return news;
  }

  // The answer's line, then what changed by another hand while the command was on its way (counter_client/console.py
  // says it the same way). The line stays about what the answer spoke of.
  function afterAnswer(msg, news) {
    if (!news.length) return msg;
    const joined = (lang) => [msg[lang], ...news.map((n) => n[lang])].join(" ");
    return { ...msg, id: joined("id"), en: joined("en") };
  }

  function sayElsewhere(frame, before) {
    const ticket = frame.data?.ticket;
    if (frame.type.startsWith("counter.")) {
      const state = frame.data.counter.state;
      if (!state || (state === "closed" && message?.returned)) return;
      message = said(counterNews(frame), "counter", state);
      return;
    }
    const ours = before?.id === ticket.id || (frame.type === "ticket.called" && ticket.counter === COUNTER);
    if (ours) message = saidOf(frame, localMessage(MINE[frame.type], { ticket: ticket.label }), ticket);
  }

  // "Tidak ada yang menunggu untuk loket ini" holds while nobody waits for the counter's services. Once someone
  // does, the line says so (it stayed, read as true, while the waiting count went up); if they are called elsewhere
  // before this counter does, it clears.
  function waitingState() {
    return [...waitingCounts().values()].some((n) => n > 0) ? "some" : "none";
  }

  function waitingNews() {
    const about = message?.about;
    if (about?.key !== "waiting" || about.state === waitingState()) return;
    message = about.state === "none" ? saidNow(localMessage("now.waiting"), "waiting") : null;
  }

  // A message is true of a state: "Mulai melayani B-002." of B-002 being served, "Loket dibuka." of an open counter.
  // When that state changes by someone else's hand (this operator on another tab, a colleague, a supervisor), the
  // line says what is true now, or clears: a tab kept "Mulai melayani B-002." after another tab had finished it.
  // `about` = { key, state, seq }: seq is the event that showed that state, null while a command's answer has come
  // before its event (an older event arriving meanwhile is not a change).
  function said(msg, key, state) {
    const now = seen.get(key);
    return { ...msg, about: { key, state, seq: now && now.state === state ? now.seq : null } };
  }

  // The message as the page stands now (a key pressed in vain: "Loket belum buka. Buka loket dulu.").
  function saidNow(msg, key) {
    const state = key === "counter" ? view.state : key === "waiting" ? waitingState() : view.currentId || "";
    return { ...msg, about: { key, state, seq: seen.get(key)?.seq ?? 0 } };
  }

  // After a snapshot: the state the message spoke of is another one now, or gone without a word (a ticket of the
  // counter's that reached no final state here).
  function untrue(about) {
    if (!about || about.seq === null || about.key === "waiting") return false; // waitingNews() keeps that one true
    const now = seen.get(about.key);
    if (now) return now.state !== about.state;
    return !(about.key.startsWith("t:") && FINAL.has(about.state));
  }

  const MINE = {
    "ticket.called": "mine.called", "ticket.recalled": "mine.recalled", "ticket.started": "mine.started",
    "ticket.finished": "mine.finished", "ticket.no_show": "mine.no_show", "ticket.parked": "mine.parked",
    "ticket.transferred": "mine.transferred", "ticket.returned": "mine.returned",
    "ticket.cancelled": "mine.cancelled", "ticket.requeued": "mine.requeued",
  };

  // The fields of a counter's state naming who left it paused or closed, and when (counter_client/news.py LEFT_BY,
  // held to it by a test): none in an event an earlier release wrote, nor for a close by the server.
  const LEFT_BY = { paused: ["paused_by", "paused_at"], closed: ["closed_by", "closed_at"] };

  // The counter's state changed by another hand, by whom and when where its state names them: "Loket dijeda oleh
  // Sari Dewi pukul 10.02." (the person as staff read them, as the server's sentences name them; else the account),
  // "... dari layar lain dengan akun Anda ..." for this account; else the state as it is now.
  function counterNews(frame, state = frame.data.counter.state) {
    const counter = frame.data?.counter;
    // opened, or taken back from a break, by another account: by its operator, at the event's time
    const opener = state === "open" && frame.type === "counter.opened" ? counter?.operator : null;
    if (opener && user && opener !== user.name && frame.at) {
      const key = view.was === "paused" ? "others.counter.resumed" : "others.counter.open";
      return localMessage(key, { by: personOf(opener), time: siteTime(frame.at, "id"), time_en: siteTime(frame.at, "en") });
    }
    const [byField, atField] = LEFT_BY[state] || [];
    const account = byField ? counter?.[byField] : null;
    const at = atField ? counter?.[atField] : null;
    if (!account || !at || !user) return localMessage(`now.counter_${state}`);
    const time = { time: siteTime(at, "id"), time_en: siteTime(at, "en") };
    if (account === user.name) return localMessage(`mine.counter.${state}`, time);
    return localMessage(`others.counter.${state}`, { by: personOf(account), ...time });
  }

  function overtaken(frame) {
    const about = message?.about;
    const now = about ? seen.get(about.key) : null;
    if (!now || now.seq !== frame.seq) return; // this event did not touch what the message speaks of
    if (now.state === about.state) { about.seq = frame.seq; return; } // the command's own event, or the same again
    if (about.seq === null) return; // older than the answer on the line
    if (about.key === "counter") {
      message = said(counterNews(frame, now.state), "counter", now.state);
      return;
    }
    const ticket = about.key.startsWith("t:") ? frame.data?.ticket : null;
    const key = ticket && user && ticket.by === user.name ? MINE[frame.type] : null;
    // Another account's change of the counter's ticket is said by byOthers, by name; anything else just clears.
    message = key ? said(localMessage(key, { ticket: ticket.label }), about.key, now.state) : null;
  }

  function refused(frame) {
    if (frame.code === "unknown_counter") return counterRemoved();
    question.withdraw(); // the sign-in form says why
    for (const p of pending.values()) p.reject(frame);
    pending.clear();
    const expired = frame.code === "unauthenticated";
    // The server says so only to a session of this account (signing in says just "wrong username or password",
    // which tells nobody which accounts exist): remembered, so the password typed next is not called wrong.
    if (frame.code === "account_disabled") disabledAccount = { name: user?.name || null };
    signOutLocally();
    showSignin(expired ? localMessage("session.expired", {}, true) : serverMessage(frame));
    setConnection("refused");
  }

  function command(name, fields = {}) {
    const commandId = newCommandId();
    const frame = { type: "command", command_id: commandId, counter: COUNTER, command: name, ...fields };
    return new Promise((resolve, reject) => {
      const p = { frame, name, resolve, reject };
      pending.set(commandId, p);
      sendCommand(p);
      render();
    });
  }

  // Sends (or sends again) a command; still unanswered ANSWER_DOUBT_MS later, the link is checked at once.
  function sendCommand(p) {
    if (!link?.send(p.frame)) return; // not connected: it goes at the next welcome
    const sentOn = link;
    setTimeout(() => {
      if (pending.get(p.frame.command_id) === p && link === sentOn && connState === "connected") link.probe(PROBE_MS);
    }, ANSWER_DOUBT_MS);
  }

  // --- following the site's configuration ----------------------------------------------------------------

  const CONFIG_RETRY_MS = 10000;
  let configReads = 0; // the newest read wins: an older answer arriving late is dropped
  let configRetry = 0;
  let resyncing = false; // a snapshot asked for because this counter's services changed is on its way
  let removed = false; // the site's configuration no longer has this counter

  async function refreshConfig() {
    const read = ++configReads;
    clearTimeout(configRetry);
    let answer = null;
    try {
      const url = `/counter/${encodeURIComponent(SITE)}/${encodeURIComponent(COUNTER)}/config`;
      const response = await fetch(url, { cache: "no-store" });
      answer = { ok: response.ok, status: response.status, data: await response.json().catch(() => null) };
    } catch {
      answer = null; // the server is restarting or out of reach: try again shortly
    }
    if (read !== configReads) return;
    if (answer?.ok && answer.data) return applyConfig(answer.data);
    if (answer?.status === 404 && answer.data?.error?.code === "unknown_counter") return counterRemoved();
    configRetry = setTimeout(refreshConfig, CONFIG_RETRY_MS);
  }

  function applyConfig(fresh) {
    const before = view.services.join("\n");
    catalogue = fresh;
    view.services = fresh.counter.services;
    renderHeader();
    if (dialog.open && current()) fillTargets(current(), targetSelect.value);
    // The server matched this connection's events to the services of its hello: a counter that now serves other
    // services asks for a fresh snapshot of them (a new socket; commands in flight go again with their own id).
    if (link && before !== view.services.join("\n")) {
      resyncing = true;
      link.resync();
    }
    render();
  }

  function renderHeader() {
    const c = catalogue.counter;
    const agency = catalogue.agencies.find((a) => a.id === c.agency);
    setText("counter-name", c.name);
    const serves = `${agency ? agency.short_name : c.agency} · ${c.services.map(serviceName).join(", ")}`;
    setText("counter-serves", serves);
    document.getElementById("counter-serves").title = serves; // cut short on one line in the header
    // The number field's example in a letter this counter serves ("B12" at a counter of B and C, not "A12").
    const prefix = (catalogue.services || []).find((s) => s.id === c.services[0])?.prefix;
    if (prefix) numberInput.placeholder = `${prefix}12`;
    setText("site-name", catalogue.site.name);
    document.title = `${c.name} · ${catalogue.site.name}`;
    if (agency) body.style.setProperty("--agency", agency.colour);
  }

  // Said plainly instead of a desk whose commands would all be refused. The session stays: the operator may open
  // another counter's page in this tab without signing in again.
  function counterRemoved() {
    if (removed) return;
    removed = true;
    for (const p of pending.values()) p.reject({ code: "unknown_counter" });
    pending.clear();
    const old = link;
    link = null;
    old?.close();
    question.withdraw();
    if (dialog.open) dialog.close();
    if (parkDialog.open) parkDialog.close();
    setConnection("closed");
  }

  // --- what the operator asks for ------------------------------------------------------------------

  function serviceName(id) {
    const s = (catalogue?.services || []).find((x) => x.id === id);
    return s ? s.name : id;
  }

  function counterName(id) {
    const c = (catalogue?.counters || []).find((x) => x.id === id);
    return c ? c.name : id;
  }

  // A command from a dialog (transfer, park) closes it only once done: a refusal (a note naming a citizen, a
  // lost connection) is said in the dialog (the message line is in it while it is open: `placeLine`) with the
  // operator's note still there to mend.
  function run(name, fields = {}, from = null) {
    // During an outage the way out (Esc) stays in view: the operator may have to leave the counter.
    if (pending.size) { show(localMessage(connState === "connected" ? "local.busy" : "local.busy_offline", {}, true)); return; }
    show({ id: t("sending", {}, "id"), en: t("sending", {}, "en"), error: false, sending: true });
    if (from) sendingFrom.add(from); // its own ticket's change is its answer coming, not a reason to withdraw it
    command(name, fields).then((result) => {
      const news = answered(result);
      from?.close();
      const ticket = result.ticket ? result.ticket.label : "";
      const service = name === "transfer" ? serviceName(fields.target_service) : "";
      let done = name === "close" && ticket ? "done.close_returned" : `done.${name}`; // say where it went
      // into a service whose issuing is paused: accepted (the citizen is here), said so with why
      if (name === "transfer" && result.target_paused) done = "done.transfer_paused";
      const msg = localMessage(done, { ticket, service, reason: result.target_paused?.reason || "" });
      const onCounter = COUNTER_COMMANDS.has(name) || !result.ticket;
      const answer = onCounter ? said(msg, "counter", result.counter?.state)
        : said(msg, `t:${result.ticket.id}`, result.ticket.state);
      show(afterAnswer(answer, news));
    }, (error) => {
      const news = answered(null);
      // "Tidak ada antrean yang menunggu": as the page's own hint, true only until someone waits
      let said = error.code === "queue_empty" ? saidNow(serverMessage(error), "waiting") : serverMessage(error);
      // A service removed from the site's configuration while the page was open (a list not yet read again): the
      // refusal alone left the operator nowhere; the page's list is what is out of date, and a reload mends it.
      if (error.code === "unknown_service") said = staleServices(said);
      show(afterAnswer(said, news));
    }).finally(() => {
      sendingFrom.delete(from);
      recheckQuestions(); // refused and still open: withdrawn if its ticket has left meanwhile
      render();
    });
  }

  const actions = {
    call_next() { run("call_next"); },
    // Commands on the counter's ticket name it as the operator saw it: if a colleague at this counter changed it
    // meanwhile, the server refuses and says what changed, rather than act on another citizen.
    recall() { current() ? run("recall", { ticket: current().label }) : show(localMessage("local.no_ticket", {}, true)); },
    start_finish(saw = current()) {
      if (!saw) return show(localMessage("local.no_ticket", {}, true));
      run(saw.state === "called" ? "start" : "finish", { ticket: saw.label });
    },
    no_show() {
      const c = current();
      if (!c) return show(localMessage("local.no_ticket", {}, true));
      // asked again at every redraw: once the TV has said the number, the question stops saying it has not
      const words = () => {
        const unheard = heardOf(current());
        const text = unheard && unheard.status !== "announced"
          ? t("confirm.no_show_unheard", { ticket: c.label, why: whyUnheard(unheard) })
          : t("confirm.no_show", { ticket: c.label });
        return { title: t("btn.no_show"), text, yes: t("ask.yes.no_show"), no: t("ask.no") };
      };
      ask("no_show", words, "−").then((yes) => yes && run("no_show", { ticket: c.label }));
    },
    transfer() { current() ? openTransfer() : show(localMessage("local.no_ticket", {}, true)); },
    park() { current() ? openPark() : show(localMessage("local.no_ticket", {}, true)); },
    pause_resume() { run({ open: "pause", paused: "resume" }[view.state] || "open"); },
    close() {
      const c = current();
      if (c && c.state === "serving") return show(localMessage("local.close_serving", { ticket: c.label }));
      // Citizens still waiting for this counter's services are said at the end of the day: closing the last counter
      // of a service leaves them waiting for nobody, and the question alone did not show it. Counted again at every
      // redraw while the question is open: a citizen taking a ticket meanwhile is in it.
      const words = () => {
        const waiting = [...waitingCounts()].filter(([, n]) => n > 0);
        const count = waiting.reduce((sum, [, n]) => sum + n, 0);
        const left = count
          ? ` ${t("confirm.close_waiting", { count, services: waiting.map(([s, n]) => `${serviceName(s)} ${n}`).join(", ") })}`
          : "";
        const text = `${c ? t("confirm.close_called", { ticket: c.label }) : t("confirm.close")}${left}`;
        return { title: t("btn.close"), text, yes: t("ask.yes.close"), no: t("ask.no") };
      };
      ask("close", words, "F8").then((yes) => yes && run("close"));
    },
  };

  // Why an action cannot be done now (a text key), or null: its button is disabled, and its key says why
  // instead of sending a command the server would refuse. On a day the supervisor closed, exactly what the server
  // refuses for it: opening the counter (day_closed), calling (next, a number, a no-show, a parked ticket: the
  // counter is closed and cannot open) and requeueing (day_closed). What needs a ticket at the counter keeps its own
  // rule: the close ended the counter's ticket, and the server refuses nothing else for the day.
  function blocked(action) {
    const c = current();
    const typed = numberInput.value.trim() !== "";
    switch (action) {
      case "call_next":
        if (view.state !== "open") return callBlocked();
        if (c) return "local.has_ticket";
        return typed || [...waitingCounts().values()].some((n) => n > 0) ? null : "local.queue_empty";
      case "recall":
        return !c ? "local.no_ticket" : c.state !== "called" ? "local.not_called" : null;
      case "no_show":
        if (typed) return dayClosed() ? "local.day_closed_requeue" : null; // the typed number is requeued
        return !c ? "local.no_ticket" : c.state !== "called" ? "local.not_called" : null;
      case "start_finish": case "transfer": case "park":
        return c ? null : "local.no_ticket";
      case "pause_resume":
        if (view.state === "closed" && dayClosed()) return "local.day_closed";
        return view.state === "open" && c ? "local.has_ticket" : null;
      case "close":
        return view.state === "closed" ? "local.already_closed" : null;
      default:
        return null;
    }
  }

  // Cut off from the server (the link was up and is lost, until it is back): no new command goes out. It used to
  // wait for the link, and a question answered meanwhile went out minutes later, of a desk that may have changed.
  // A command already on its way stays so (sent again with its own id once the link is back, or given up with Esc).
  const offline = () => lostAt !== null;

  // Why an action is unavailable now: what the counter allows (blocked), then the link.
  function unavailable(action) {
    return blocked(action) || (offline() ? "local.offline" : null);
  }

  // Reasons a notice on the desk says at length. A button they make unavailable is not merely greyed out: it stays a
  // Tab stop, says it is unavailable (aria-disabled) and why (aria-describedby: the notice), and pressed says why on
  // the message line, sending nothing. Any other reason disables the button (disabled) as before.
  const EXPLAINED = new Map([
    ["local.day_closed", "day-closed"], ["local.day_closed_requeue", "day-closed"], ["local.offline", "offline-note"],
  ]);

  function markUnavailable(button, why, busy = false, notice = why ? EXPLAINED.get(why) : null) {
    button.disabled = Boolean(why) && !notice;
    button.setAttribute("aria-disabled", String(busy || Boolean(why)));
    button.classList.toggle("unavailable", Boolean(notice));
    if (notice) button.setAttribute("aria-describedby", notice);
    else button.removeAttribute("aria-describedby");
    button.dataset.why = notice ? why : "";
  }

  const COUNTER_COMMANDS = new Set(["open", "resume", "pause", "close"]);
  const COUNTER_HINTS = new Set(["local.not_open", "local.paused", "local.already_closed", "local.day_closed", "local.day_closed_requeue"]);

  // Why, on the message line, as the page stands now. Offline with a command still on its way: that it waits, with
  // the way out (Esc).
  function sayWhy(why, values = {}) {
    if (why === "local.offline" && pending.size) return show(localMessage("local.busy_offline", {}, true));
    const key = why === "local.offline" ? "link" : COUNTER_HINTS.has(why) ? "counter" : why === "local.queue_empty" ? "waiting" : "current";
    show(saidNow(localMessage(why, { reason: dayReason(), ...values }), key));
  }

  function act(action) {
    // With a number in the field, "call next" calls that number and "no-show" requeues it (the buttons say so).
    if (numberInput.value.trim() && (action === "call_next" || action === "no_show")) {
      return callNumber(action === "call_next" ? "call" : "requeue");
    }
    const why = unavailable(action);
    if (why) return sayWhy(why);
    actions[action]();
  }

  // Open tickets matching what the operator typed: a label ("B-012", "b12") or a bare number ("12").
  function findTickets(typed) {
    const text = typed.trim().toUpperCase().replace(/[\s-]/g, "");
    const [, prefix, digits] = /^([A-Z]*)(\d+)$/.exec(text) || [];
    if (!digits) return [];
    const number = parseInt(digits, 10);
    return [...view.tickets.values()].filter((x) => {
      const [labelPrefix, labelNumber] = x.label.split("-");
      return parseInt(labelNumber, 10) === number && (!prefix || prefix === labelPrefix);
    }).sort((a, b) => a.label.localeCompare(b.label));
  }

  // A typed number names one ticket: a label as typed, or a bare number only one open ticket here has.
  // { label } or { ambiguous: [tickets] } or {} (not a number).
  function labelOf(typed) {
    const text = typed.trim().toUpperCase().replace(/[\s-]/g, "");
    if (/^[A-Z]/.test(text)) return { label: text, text };
    const number = parseInt(text, 10);
    if (Number.isNaN(number)) return { text };
    const matches = findTickets(text);
    if (matches.length > 1) return { ambiguous: matches, text };
    if (matches.length === 1) return { label: matches[0].label, text };
    const prefixes = new Set((catalogue?.services || []).filter((s) => view.services.includes(s.id)).map((s) => s.prefix));
    if (prefixes.size === 1) return { label: `${[...prefixes][0]}-${String(number).padStart(3, "0")}`, text };
    return { label: text, text };
  }

  function resolveNumber(typed) {
    const { label, ambiguous, text } = labelOf(typed);
    if (ambiguous) {
      const labels = ambiguous.map((m) => m.label).join(", ");
      show(localMessage("local.ambiguous", { number: text, labels, example: ambiguous[0].label }, true));
      return null;
    }
    return label || null;
  }

  // Why a citizen cannot be called now (next, a typed number, from the lists; a text key), or null.
  function callBlocked() {
    if (view.state !== "open") return view.state === "paused" ? "local.paused" : dayClosed() ? "local.day_closed" : "local.not_open";
    return current() ? "local.has_ticket" : null;
  }

  // The number field's "Panggil" is unavailable, said why, on a closed day and offline; otherwise it stays pressable
  // and a refusal says why and drops the number (callNumber).
  function numberWhy() {
    const why = callBlocked();
    return EXPLAINED.has(why) ? why : offline() ? "local.offline" : null;
  }

  const requeueWhy = () => (dayClosed() ? "local.day_closed_requeue" : offline() ? "local.offline" : null);

  function callNumber(name) {
    const typed = numberInput.value;
    const explained = name === "call" ? numberWhy() : requeueWhy();
    // Offline nothing is used up: the number stays in the field for when the link is back.
    if (explained === "local.offline") return sayWhy(explained);
    if (!typed.trim()) return explained ? sayWhy(explained, { ticket: "" }) : show(localMessage("local.no_number", {}, true));
    const label = resolveNumber(typed);
    // A number is used once, whatever comes of it: left in the field it would take over the next "call next"
    // (calling it out of order later) and the "0" key.
    numberInput.value = "";
    if (!label) return render();
    if (name === "requeue" && explained) return sayWhy(explained, { ticket: label }); // not sent: the day is closed
    const why = name === "call" ? callBlocked() : null; // a call (or a call back) needs an open, idle counter
    if (why) {
      const said = (language) => `${t(why, { reason: dayReason() }, language)} ${t("local.number_dropped", { number: label }, language)}`;
      return show({ id: said("id"), en: said("en"), error: true });
    }
    // Calling a parked ticket by its number calls it back.
    const found = findTickets(label);
    if (name === "call" && found.length === 1 && found[0].state === "parked") run("unpark", { ticket: found[0].label });
    else run(name, { ticket: label });
  }

  // --- the transfer dialog -------------------------------------------------------------------------------

  const dialog = document.getElementById("transfer-dialog");
  const targetSelect = document.getElementById("transfer-target");
  const noteInput = document.getElementById("transfer-note");

  // The targets from the catalogue as it is now; a choice already made stays chosen if the service still exists.
  function fillTargets(c, chosen = "") {
    // Nothing chosen at first: Tab-Tab-Enter must not send a citizen to whichever service is listed first.
    targetSelect.replaceChildren(new Option(t("transfer.choose"), ""));
    const mine = c.agency;
    const agencies = [...(catalogue?.agencies || [])].sort((a, b) => (a.id !== mine) - (b.id !== mine));
    for (const agency of agencies) {
      const group = document.createElement("optgroup");
      group.label = agency.short_name || agency.name;
      for (const s of catalogue.services.filter((x) => x.agency === agency.id && x.id !== c.service)) {
        group.append(new Option(targetLabel(s), s.id));
      }
      if (group.children.length) targetSelect.append(group);
    }
    if (chosen && [...targetSelect.options].some((o) => o.value === chosen)) targetSelect.value = chosen;
    renderTransferPaused();
  }

  // A target whose issuing is paused today is still offered (a citizen already in the mall is served by a paused
  // line: the server accepts it), but said so in the list and, once chosen, with why, before the operator confirms.
  function pausedToday(service) {
    const pause = view.paused.get(service);
    return pause && pause.day === siteDate(new Date(serverNow()).toISOString()) ? pause : null;
  }

  function targetLabel(s) {
    const label = `${s.name} (${s.prefix})`;
    return pausedToday(s.id) ? `${label} — ${t("transfer.paused_option")}` : label;
  }

  let transferPausedDrawn = "";

  // An expected time gone by stays, said to be past (here and in the transfer dialog): the operator knows to ask for a
  // new one or a resumption.
  function untilPast(pause) {
    return Boolean(pause?.until) && Date.parse(pause.until) <= serverNow();
  }

  // Called at each render: a pause or resumption heard while the dialog is open is said in it at once.
  function renderTransferPaused() {
    for (const option of targetSelect.options) {
      const s = option.value && (catalogue?.services || []).find((x) => x.id === option.value);
      if (s && option.text !== targetLabel(s)) option.text = targetLabel(s);
    }
    const pause = targetSelect.value ? pausedToday(targetSelect.value) : null;
    const words = pause ? [t("transfer.paused", { service: serviceName(targetSelect.value), reason: pause.reason })] : [];
    if (pause?.until) words.push(t(untilPast(pause) ? "issuing.until_past" : "issuing.until", { time: siteTime(pause.until) }));
    if (pause) words.push(t("transfer.paused_still"));
    const drawn = JSON.stringify([lang, words]);
    if (drawn === transferPausedDrawn) return;
    transferPausedDrawn = drawn;
    const line = document.getElementById("transfer-paused");
    line.textContent = words.join(" ");
    line.hidden = !pause;
  }

  targetSelect.addEventListener("change", renderTransferPaused);
  // "Alihkan" with no service chosen: the browser says so in the page's language, not its own ("Please select an
  // item in the list." on an Indonesian page).
  const targetValidity = () => targetSelect.setCustomValidity(targetSelect.value ? "" : t("transfer.choose_first"));
  targetSelect.addEventListener("change", targetValidity);
  targetSelect.addEventListener("invalid", targetValidity);

  function openTransfer() {
    linkLost.delete(dialog);
    const c = current();
    document.getElementById("transfer-ticket").textContent = c.label;
    fillTargets(c);
    noteInput.value = "";
    updateNoteCount();
    dialog.showModal();
    targetSelect.focus();
  }

  // What is left of a note's 200 characters, said as it is typed: the field's maxlength stops the operator there,
  // and the server refuses a longer one (`note_too_long`) in any case.
  function noteLeft(field, out) {
    const most = NOTE_MAX;
    const left = Math.max(0, most - field.value.length);
    setText(out, t("note.left", { left, most }));
    document.getElementById(out).classList.toggle("low", left <= 20);
  }

  function updateNoteCount() {
    noteLeft(noteInput, "transfer-count");
  }

  noteInput.addEventListener("input", updateNoteCount);
  document.getElementById("transfer-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const target = targetSelect.value;
    if (!target) return;
    if (offline() && !pending.size) return show(localMessage("local.not_sent_offline", {}, true)); // all kept
    const ticket = document.getElementById("transfer-ticket").textContent; // the one the dialog was opened for
    const note = noteInput.value.trim() ? { note: noteInput.value.trim() } : {};
    run("transfer", { target_service: target, ticket, ...note }, dialog);
  });

  // --- the park dialog: what the citizen must bring --------------------------------------------------------

  const parkDialog = document.getElementById("park-dialog");
  const parkNote = document.getElementById("park-note");

  function openPark() {
    linkLost.delete(parkDialog);
    document.getElementById("park-ticket").textContent = current().label;
    parkNote.value = "";
    updateParkCount();
    parkDialog.showModal();
    parkNote.focus();
  }

  function updateParkCount() {
    noteLeft(parkNote, "park-count");
  }

  parkNote.addEventListener("input", updateParkCount);
  document.getElementById("park-cancel").addEventListener("click", () => parkDialog.close());
  document.getElementById("park-form").addEventListener("submit", (event) => {
    event.preventDefault(); // Enter in the note parks
    if (offline() && !pending.size) return show(localMessage("local.not_sent_offline", {}, true)); // the note kept
    const note = parkNote.value.trim();
    const ticket = document.getElementById("park-ticket").textContent; // the one the dialog was opened for
    run("park", { ticket, ...(note ? { note } : {}) }, parkDialog);
  });

  // Enter in a note sends it, in both dialogs (the park's note is one line; the transfer's was a text area where Enter
  // only began a new line, so the same key did two things a dialog apart). Shift+Enter begins a new line of the
  // transfer's note; once it has several lines, Enter adds one, and Ctrl+Enter sends it (in either dialog).
  function noteKeys(field, form) {
    field.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.isComposing || event.altKey || event.metaKey) return;
      const lines = field instanceof HTMLTextAreaElement && (event.shiftKey || field.value.includes("\n"));
      if (lines && !event.ctrlKey) return; // a new line
      event.preventDefault();
      form.requestSubmit(); // as its button: the target service still checked first
    });
  }

  noteKeys(noteInput, document.getElementById("transfer-form"));
  noteKeys(parkNote, document.getElementById("park-form"));

  // The link lost while the transfer or park dialog is open: said in it (the desk behind is inert, its own notice out of
  // the accessibility tree), its button unavailable and naming that, what was chosen and typed kept; once the link is
  // back, said so, and the button is there again. Not while the dialog's own command is on its way: the message line
  // says that it waits, with the way out.
  const linkLost = new Set(); // the dialogs open when the link was lost, until opened again
  const DIALOG_LINK = [[dialog, "transfer", "transfer-send"], [parkDialog, "park", "park-send"]];

  function renderDialogLinks() {
    for (const [box, kind, send] of DIALOG_LINK) {
      const down = box.open && offline() && !sendingFrom.has(box);
      if (down) linkLost.add(box);
      setText(`${kind}-link`, down ? t(`${kind}.offline`) : box.open && linkLost.has(box) ? t("dialog.back") : "");
      markUnavailable(document.getElementById(send), down ? "local.offline" : null, false, down ? `${kind}-link` : null);
    }
  }

  // "(Esc: batalkan)": a command waiting for the link is given up, and never sent later. Said in the transfer or
  // park dialog it was sent from too (the message line is in it), where Esc does the same, the dialog staying open
  // with its note; the next Esc closes it.
  function cancelStuck() {
    if (!pending.size || connState === "connected") return false;
    const cancelled = { code: "cancelled", message: t("cancelled_offline", {}, "id"), message_en: t("cancelled_offline", {}, "en") };
    for (const p of pending.values()) p.reject(cancelled);
    pending.clear(); // not sent again at the next welcome
    return true;
  }

  for (const box of [dialog, parkDialog]) {
    box.addEventListener("cancel", (event) => { if (sendingFrom.has(box) && cancelStuck()) event.preventDefault(); });
  }

  // --- the page's questions: asked in the page, withdrawn when they no longer hold -------------------------

  // A question is asked of a situation, as its words say it (the console's Desk._situation, the same rule): a
  // no-show, of its ticket still called; closing, of a counter not closed yet and the ticket it would send back (a
  // colleague's pause leaves "Tutup loket?" true); signing out, of the counter's state and ticket, which its words
  // name ("Loket ini sedang istirahat ..."). When that changes while the question is open, it is withdrawn: its
  // "yes" would confirm what is no longer so. A question whose "yes" sends a command is withdrawn too when the link
  // drops (what changes meanwhile is not seen); signing out sends none, and stays asked.
  const question = new Question(document.getElementById("question-dialog"));
  const SENDS = new Set(["no_show", "close"]);
  const ASKED_AGAIN = { no_show: "-", close: "F8" }; // the key that asked, pressed again, is "yes"
  let asked = null; // { kind, situation, linkUp, at } of the open question
  const sendingFrom = new Set(); // the transfer or park dialog whose command is on its way: not withdrawn

  function situationOf(kind) {
    const c = current();
    const state = kind === "no_show" ? "" : kind === "close" ? (view.state === "closed" ? "closed" : "not closed") : view.state;
    return JSON.stringify([state, c ? c.id : null, c ? c.state : null]);
  }

  const linkUp = () => connState === "connected" || connState === "doubtful";

  // Resolves true for "yes" only, and only if the situation still holds then.
  function ask(kind, words, key = "") {
    const mine = { kind, situation: situationOf(kind), linkUp: linkUp(), at: performance.now() };
    asked = mine;
    return question.ask(words, key).then((answer) => {
      if (asked === mine) asked = null;
      return answer === "yes" && situationOf(kind) === mine.situation;
    });
  }

  // After every event, snapshot, change of the link and command answer. Withdrawn because something changed, it is
  // said after the message line, which the page keeps true and which says what changed, by whom ("A-012 ditandai
  // tidak hadir oleh Sari Dewi."), even when another event came after it (a supervisor's close: "Loket ditutup oleh
  // ...; A-012 kembali ke antrean.", then the counter's own event); withdrawn because the link dropped, alone.
  function recheckQuestions() {
    const why = [];
    let changed = false;
    if (asked && question.open) {
      const dropped = SENDS.has(asked.kind) && asked.linkUp && !linkUp();
      changed = situationOf(asked.kind) !== asked.situation;
      if (dropped || changed) {
        question.withdraw();
        why.push(localMessage(changed ? "ask.withdrawn" : "ask.withdrawn_link"));
      }
    }
    // The transfer and park dialogs are asked of their ticket: once it has left this counter (finished, parked,
    // transferred, sent back by a close), they close, with what was typed; a link that drops leaves them open (the
    // command waits for it, and a ticket that changed meanwhile is refused by name).
    for (const [box, ticketOf, key] of [[dialog, "transfer-ticket", "transfer.withdrawn"], [parkDialog, "park-ticket", "park.withdrawn"]]) {
      const label = document.getElementById(ticketOf).textContent;
      if (!box.open || sendingFrom.has(box) || current()?.label === label) continue;
      box.close();
      why.push(localMessage(key, { ticket: label }));
      changed = true;
    }
    if (!why.length) return;
    if (message && (changed || message.sending)) message = afterAnswer(message, why);
    else message = afterAnswer(why[0], why.slice(1));
  }

  // Keys while a question is open: Esc cancels (the dialog's own), Tab moves between its two buttons and Enter
  // presses the one with the focus ("Batal" at first); the key that asked ("-", F8) pressed again is "yes", for an
  // operator with a numeric keypad alone, but not when held down or pressed twice at once (a bounce is no answer).
  function questionKey(event) {
    const key = asked && ASKED_AGAIN[asked.kind];
    if (!key || keyOf(event) !== key || event.ctrlKey || event.altKey || event.metaKey) return;
    event.preventDefault();
    if (event.repeat || performance.now() - asked.at < TWO_WAY_GUARD_MS) return;
    question.confirm();
  }

  // --- signing in and out --------------------------------------------------------------------------------

  const signin = document.getElementById("signin");
  const desk = document.getElementById("desk");
  const numberInput = document.getElementById("number");
  numberInput.addEventListener("input", () => render()); // typed into the field itself: the buttons' labels follow

  function showSignin(error) {
    if (removed) return;
    desk.hidden = true;
    signin.hidden = false;
    const box = document.getElementById("signin-error");
    box.hidden = !error;
    box.dataset.id = error ? error.id : "";
    box.dataset.en = error ? error.en : "";
    box.textContent = error ? (lang === "en" ? error.en : error.id) : "";
    document.getElementById("username").focus();
  }

  async function api(path, options = {}) {
    const response = await fetch(path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw (data.error || { code: "http_error", message: `HTTP ${response.status}`, message_en: `HTTP ${response.status}` });
    return data;
  }

  async function start() {
    if (removed) return;
    waitingSaid = null; // the next snapshot's counts are where this session starts, not a change
    signin.hidden = true;
    desk.hidden = false;
    await learnWho();
    openSocket();
    render();
  }

  // Who this tab is signed in as, which names colleagues and says what they did. A reload while the server restarts
  // failed this question once and left the page without the answer until the next sign-in (no colleague named, the
  // operator's own name missing): it is asked again at every welcome and, until answered, with a backoff. Meanwhile
  // the page shows nobody, neither the operator nor a colleague, rather than a wrong name.
  const WHO_RETRY_MS = [1000, 2000, 4000, 8000, 15000];
  let whoAsking = false;
  let whoTries = 0;
  let whoRetry = 0;

  async function learnWho() {
    if (user || !token || whoAsking) return;
    clearTimeout(whoRetry);
    whoAsking = true;
    const asked = token;
    try {
      const me = await api("/api/v1/me", { headers: { Authorization: `Bearer ${asked}` } });
      if (token === asked) { user = me; whoTries = 0; }
    } catch {
      // the server is restarting or out of reach: a refused session is the link's to say (refused())
      if (token === asked) whoRetry = setTimeout(learnWho, WHO_RETRY_MS[Math.min(whoTries++, WHO_RETRY_MS.length - 1)]);
    } finally {
      whoAsking = false;
    }
    render();
  }

  signin.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = document.getElementById("username").value.trim();
    const password = document.getElementById("password").value;
    try {
      const answer = await api("/api/v1/auth/login", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username, password }),
      });
      token = answer.token;
      user = answer.user;
      sessionStorage.setItem(TOKEN_KEY, token);
      document.getElementById("password").value = "";
      disabledAccount = null;
      await start();
    } catch (error) {
      const stillDisabled = error.code === "bad_credentials" && disabledAccount
        && (!disabledAccount.name || disabledAccount.name === username);
      showSignin(stillDisabled ? localMessage("signin.disabled", {}, true) : serverMessage(error));
    }
  });

  function signOutLocally() {
    const old = link;
    // A session refused here (another agency's counter) is ended on the server too, not left valid for hours; and
    // one signed out while the server is out of reach, as soon as it answers again (revokeLater).
    if (token) revokeLater(token);
    token = null;
    user = null;
    link = null;
    clearTimeout(whoRetry);
    whoTries = 0;
    sessionStorage.removeItem(TOKEN_KEY);
    old?.close();
  }

  // A shared PC at a counter: signed out while the server is out of reach, the session stayed valid on the server
  // until it expired, though the operator believed they had signed out. The token to revoke (the token alone) is
  // kept in this browser until the server has revoked it: tried at once, again with a backoff and whenever the link
  // comes back, and at the next load of any counter page of this browser. Until then the sign-in screen says so.
  const REVOKE_KEY = "counter-revoke"; // every counter page of this browser, whatever its site or counter
  const REVOKE_RETRY_MS = [2000, 4000, 8000, 15000, 30000];
  const REVOKE_TIMEOUT_MS = 10000; // a link that drops packets without a word: given up, tried again later
  let revoking = false;
  let revokeTries = 0;
  let revokeTimer = 0;
  let revokeMissed = false; // an attempt found the server out of reach: said on the sign-in screen

  function toRevoke() {
    try {
      const list = JSON.parse(localStorage.getItem(REVOKE_KEY) || "[]");
      return Array.isArray(list) ? list.filter((x) => typeof x === "string" && x) : [];
    } catch {
      return [];
    }
  }

  function keepToRevoke(list) {
    // every one kept until revoked (a few dozen bytes each): one dropped would stay valid on the server
    if (list.length) localStorage.setItem(REVOKE_KEY, JSON.stringify(list));
    else localStorage.removeItem(REVOKE_KEY);
  }

  // Written before it is sent: a page closed at once after "Keluar" still has it revoked at the next load.
  function revokeLater(old) {
    keepToRevoke([...toRevoke().filter((x) => x !== old), old]);
    revokeNow();
  }

  async function revokeNow() {
    if (revoking || !(toRevoke().length || revokeMissed)) return;
    clearTimeout(revokeTimer);
    revoking = true;
    let reached = true;
    try {
      for (let old = toRevoke()[0]; old && reached; old = toRevoke()[0]) {
        const abort = new AbortController();
        const timer = setTimeout(() => abort.abort(), REVOKE_TIMEOUT_MS);
        const response = await fetch("/api/v1/auth/logout", {
          method: "POST", headers: { Authorization: `Bearer ${old}` }, signal: abort.signal,
        }).catch(() => null).finally(() => clearTimeout(timer));
        // revoked now, or no longer valid anyway (expired, or revoked by another page): done with it
        reached = Boolean(response && (response.ok || response.status === 401));
        if (reached) keepToRevoke(toRevoke().filter((x) => x !== old));
      }
    } finally {
      revoking = false;
    }
    revokeMissed = !reached;
    if (reached) revokeTries = 0;
    else revokeTimer = setTimeout(revokeNow, REVOKE_RETRY_MS[Math.min(revokeTries++, REVOKE_RETRY_MS.length - 1)]);
    render();
  }

  addEventListener("online", () => revokeNow());
  addEventListener("storage", (event) => { if (event.key === REVOKE_KEY) render(); }); // another tab revoked it

  // "Coba sekarang": the next attempt at once rather than when the backoff's timer falls due (the policy stays: a
  // failed attempt still counts). Keyboard: Tab to it, Enter or Space (the keypad's own Enter still calls next).
  document.getElementById("retry-now").addEventListener("click", () => link?.retryNow());
  // Offered with a refusal of a service the site no longer has: the page reads the current list only when loaded.
  document.getElementById("reload-page").addEventListener("click", () => location.reload());

  document.getElementById("signout").addEventListener("click", async () => {
    // A counter left open with nobody at it keeps counting in everyone's wait estimates: asked first.
    if (!desk.hidden && view.state !== "closed") {
      const words = () => ({
        title: t("signout"), text: t(view.state === "paused" ? "confirm.signout_paused" : "confirm.signout_open"),
        yes: t("ask.yes.signout"), no: t("ask.no"),
      });
      if (!(await ask("signout", words))) return;
    }
    signOutLocally(); // ends the session on the server too
    setConnection("closed");
    showSignin(null);
  });

  // --- keys: one per action, from the numeric keypad or the main keyboard --------------------------------

  function keyAction(event) {
    const key = event.key;
    if (key === "Enter" || key === "+") return "call_next";
    if (key === "." || event.code === "NumpadDecimal") return "recall";
    if (key === "-") return "no_show";
    if (key === "/") return "transfer";
    if (key === "*") return "pause_resume";
    if (key === "F8") return "close";
    if (key === "F9") return "park";
    return null;
  }

  // "0" both starts/finishes and begins a number as printed ("004"): a lone "0" waits ZERO_WAIT_MS for another
  // character before it acts, so typing a label never finishes the citizen being served. A two-way action
  // (start then finish, pause then resume) asked again within TWO_WAY_GUARD_MS of the press that acted is a
  // double click or a bounce, and is ignored: it never undoes what the first press did. So is a recall of the same
  // ticket: each one is said again by every lobby TV, in turn with the other counters' calls (~8 s each).
  const ZERO_WAIT_MS = 450;
  const TWO_WAY_GUARD_MS = 800;
  const GUARDED = new Set(["start_finish", "pause_resume", "recall"]);
  const OF_TICKET = new Set(["start_finish", "recall"]);
  let zero = null; // { timer, at } while a lone "0" waits
  let lastTwoWay = { what: "", at: -Infinity };

  // The same two-way action (or recall) on the same ticket (or the counter) within the guard: a double press, not a
  // second one.
  function bounced(action, at, saw = current()) {
    if (!GUARDED.has(action)) return false;
    const what = `${action} ${OF_TICKET.has(action) ? saw?.id : ""}`;
    const again = lastTwoWay.what === what && at - lastTwoWay.at < TWO_WAY_GUARD_MS;
    lastTwoWay = { what, at };
    return again;
  }

  // The lone "0" acts on the ticket as it was when the key was pressed, not as it is once the wait is over: a
  // colleague's start in between must not turn this press into a finish (an outside review saw exactly that).
  function zeroActs() {
    if (!zero) return;
    const { timer, at, saw } = zero;
    clearTimeout(timer);
    zero = null;
    if (numberInput.value === "0") numberInput.value = "";
    if (bounced("start_finish", at, saw)) render();
    else if (saw && offline()) sayWhy("local.offline");
    else if (saw) actions.start_finish(saw);
    else act("start_finish");
  }

  function zeroTakenBack() {
    if (!zero) return;
    clearTimeout(zero.timer);
    zero = null;
  }

  // With NumLock off Chromium names the keypad's digits by what they would do then ("Insert", "End", ...); the key
  // is still told by event.code, and the keypad works the same either way (as its decimal key already did).
  function keyOf(event) {
    const numpad = /^Numpad([0-9])$/.exec(event.code || "");
    return numpad ? numpad[1] : event.key;
  }

  document.addEventListener("keydown", (event) => {
    if (question.open) return questionKey(event);
    if (desk.hidden || dialog.open || parkDialog.open || event.ctrlKey || event.altKey || event.metaKey) return;
    // A dialog just closed (Esc) leaves the focus on its field until the browser moves it at the next frame: a key
    // pressed at once (Esc then F9, quick on a keypad) was taken for typing in that hidden field and lost.
    const target = event.target.closest?.("dialog:not([open])") ? document.body : event.target;
    const inNumber = target === numberInput;
    if (!inNumber && target.matches && target.matches("input, textarea, select")) return;
    const key = keyOf(event);
    // Enter on a button reached with Tab presses that button (keyboard use without the keypad); the keypad's own
    // Enter always calls the next citizen.
    const onButton = target.matches && target.matches("button, a, summary");
    if (key === "Enter" && onButton && event.code !== "NumpadEnter") return;
    const typed = /^[0-9A-Za-z]$/.test(key);
    if (zero && !typed) { // another key right after a lone "0": Esc or Backspace takes it back, anything else lets it act
      event.preventDefault();
      if (key === "Escape" || key === "Backspace") { zeroTakenBack(); numberInput.value = ""; render(); }
      else zeroActs();
      return;
    }
    if (inNumber && key !== event.key) { // a keypad digit with NumLock off would move the caret instead of typing
      event.preventDefault();
      numberInput.value = (numberInput.value + key).slice(0, 8);
      render();
      return;
    }
    if (key === "Escape" && cancelStuck()) { event.preventDefault(); return; } // the operator may have walked away since
    if (key === "Escape") { numberInput.value = ""; show(null); event.preventDefault(); return; }
    // "A-005" typed as printed: after a prefix letter the dash belongs to the label (elsewhere it is no-show).
    const dashInLabel = key === "-" && /^[A-Za-z]+$/.test(numberInput.value.trim());
    if (inNumber && dashInLabel) return;
    if (!inNumber) {
      if (key === "0" && !numberInput.value && !event.repeat) {
        event.preventDefault();
        numberInput.value = "0";
        const c = current();
        const saw = c ? { id: c.id, label: c.label, state: c.state } : null; // what the operator had in view
        zero = { timer: setTimeout(zeroActs, ZERO_WAIT_MS), at: performance.now(), saw };
        render();
        return;
      }
      if (typed || dashInLabel) {
        event.preventDefault();
        zeroTakenBack(); // a "0" before it began the number
        numberInput.value = (numberInput.value + key.toUpperCase()).slice(0, 8);
        render();
        return;
      }
      if (key === "Backspace") { event.preventDefault(); numberInput.value = numberInput.value.slice(0, -1); render(); return; }
    }
    const action = keyAction(event);
    if (!action) return;
    event.preventDefault(); // also keeps Enter from pressing whichever button has the focus
    if (event.repeat || bounced(action, performance.now())) return; // a key held down, or pressed twice at once
    act(action);
  });

  for (const button of document.querySelectorAll("[data-action]")) {
    // A mouse click gives the focus back to the page, so the keypad's Enter calls next rather than pressing that
    // button again; a button pressed from the keyboard (detail 0) keeps the focus, so Tab goes on from it. The
    // second click of a double click (detail 2) is not a second press.
    button.addEventListener("click", (event) => {
      if (event.detail) button.blur();
      if (event.detail > 1 || bounced(button.dataset.action, performance.now())) return;
      if (zero) { // a lone "0" still waiting, then a button: the button is what the operator meant
        zeroTakenBack();
        numberInput.value = "";
      }
      act(button.dataset.action);
    });
  }
  document.getElementById("call-number").addEventListener("submit", (event) => {
    event.preventDefault();
    callNumber("call");
  });

  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      lang = button.dataset.lang;
      localStorage.setItem(LANG_KEY, lang);
      button.blur();
      render();
    });
  }

  // --- drawing ----------------------------------------------------------------------------------------

  function show(msg) {
    message = msg;
    render();
  }

  // A duration in words ("1 mnt 42 dtk"): "01:42" read as a time of day ("since 01:42").
  function elapsed(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const [hr, min, secs] = lang === "en" ? ["h", "min", "s"] : ["j", "mnt", "dtk"];
    if (h) return `${h} ${hr} ${m} ${min}`;
    return m ? `${m} ${min} ${sec} ${secs}` : `${sec} ${secs}`;
  }

  function serverNow() { return Date.now() + clockOffset; }

  function setText(id, text) {
    const el = document.getElementById(id);
    if (el.textContent !== text) el.textContent = text;
  }

  function render() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    for (const button of document.querySelectorAll("[data-lang]")) button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
    const box = document.getElementById("signin-error");
    if (!box.hidden) box.textContent = lang === "en" ? box.dataset.en : box.dataset.id;
    setText("signout-pending", revokeMissed && toRevoke().length ? t("signout.pending") : "");

    const conn = document.getElementById("connection");
    conn.dataset.state = connState;
    conn.textContent = t(`conn.${connState}`);
    const zone = catalogue?.site.timezone;
    const clock = new Date(serverNow()).toLocaleTimeString("id-ID", { timeZone: zone || undefined, hour12: false });
    setText("clock", lang === "en" ? clock.replaceAll(".", ":") : clock); // 08.59.57: Indonesian writes a dot
    const who = document.getElementById("who");
    who.hidden = !user;
    who.textContent = user ? user.display_name || user.name : "";
    document.getElementById("signout").hidden = !token;
    const gone = document.getElementById("removed");
    gone.hidden = !removed;
    document.getElementById("counter-serves").hidden = removed; // it serves nothing any more (as the console says)
    if (removed) {
      signin.hidden = desk.hidden = true;
      setText("removed-detail", t("removed.detail", { counter: catalogue.counter.name, site: catalogue.site.name }));
    }
    if (desk.hidden) return;

    // Cut off, the desk keeps the last state it knew: said in words and by a dashed edge, never read as live.
    setText("offline-note", lostAt === null ? "" : t("offline", { time: siteTime(lostAt) }));
    const retry = document.getElementById("retry");
    // "Coba sekarang" pressed from the keyboard, then the link back: the focus goes on from the actions, not from the
    // top of the page (a hidden button loses it)
    if (!retrying && !retry.hidden && retry.contains(document.activeElement)) {
      retry.hidden = true;
      document.querySelector(".actions button:not(:disabled)")?.focus();
    }
    retry.hidden = !retrying;
    const wait = retryAt === null ? 0 : Math.ceil((retryAt - Date.now()) / 1000);
    setText("retry-text", !retrying ? "" : wait > 0 ? t("retry.in", { seconds: wait }) : t("retry.now"));
    document.getElementById("queue").setAttribute("aria-label", t("queue.label"));
    setText("day-closed", dayClosed() ? t("day_closed.notice", { reason: dayReason() }) : "");
    desk.classList.toggle("stale", lostAt !== null);
    const c = current();
    setText("current-label", c ? c.label : t("current.none"));
    document.getElementById("current-label").classList.toggle("empty", !c);
    if (c) {
      const since = c.state === "serving" ? c.started_at : c.called_at;
      const ms = since ? serverNow() - Date.parse(since) : 0;
      setText("current-what", `${serviceName(c.service)} · ${t(`ticket.${c.state}`)}`);
      setText("current-for", ` · ${t("for", { duration: elapsed(ms) })}`); // ticks each second: in no live region
    } else {
      setText("current-what", "");
      setText("current-for", "");
    }
    const priority = document.getElementById("current-priority");
    priority.hidden = !(c && c.priority);
    const group = c && c.priority ? (PRIORITY[c.priority] || [c.priority, c.priority])[lang === "en" ? 1 : 0] : "";
    priority.textContent = group ? t("priority", { group }) : "";
    const heard = document.getElementById("current-heard");
    const h = heardOf(c);
    heard.hidden = !h;
    heard.dataset.status = h ? h.status : "";
    setText("current-heard", h ? heardText(h) : "");
    const note = document.getElementById("current-note");
    note.hidden = !(c && c.note);
    note.textContent = c && c.note ? t("note", { note: c.note }) : "";
    const state = document.getElementById("counter-state");
    state.textContent = t(`counter.${view.state}`);
    state.dataset.state = view.state;
    // Two people at one counter: say who else is signed in at it now. An opener the page never saw here (signed in
    // through another server process, or commands sent over HTTP) is named as before, until seen leaving.
    const others = user ? [...(present || [])].filter((name) => name !== user.name) : [];
    const opener = view.state !== "closed" && view.operator && user && view.operator !== user.name
      && !others.length && !seenLeaving.has(view.operator) && !(present && present.has(view.operator)) ? view.operator : "";
    const otherLine = document.getElementById("counter-operator");
    otherLine.hidden = !others.length && !opener;
    setText("counter-operator", others.length ? t("counter.also_here", { names: others.map(personOf).join(", ") })
      : opener ? t("counter.other_operator", { operator: personOf(opener) }) : "");
    // Who paused or closed it, and since when, from its state: so said again after a reconnect or a reload. A close
    // of an earlier day is not "sejak 16.00" today.
    const left = ["paused", "closed"].includes(view.state) && view.leftBy && view.leftAt
      && (view.state !== "closed" || siteDate(view.leftAt) === siteDate(new Date(serverNow()).toISOString()));
    const leftLine = document.getElementById("counter-left");
    leftLine.hidden = !left;
    setText("counter-left", !left ? "" : t(user && view.leftBy === user.name ? `left_mine.${view.state}` : `left.${view.state}`,
      { by: personOf(view.leftBy), time: siteTime(view.leftAt, lang) }));

    document.getElementById("start-finish-text").textContent = t(c && c.state === "serving" ? "btn.finish" : "btn.start");
    // A number in the field changes what "call next" and "no-show" do (call it, requeue it): their buttons say so.
    const typedNow = numberInput.value.trim();
    const typedLabel = typedNow ? labelOf(typedNow).label || typedNow.toUpperCase() : "";
    setText("call-next-text", typedNow ? t("btn.call_typed", { ticket: typedLabel }) : t("btn.call_next"));
    setText("no-show-text", typedNow ? t("btn.requeue_typed", { ticket: typedLabel }) : t("btn.no_show"));
    document.getElementById("pause-text").textContent = t({ open: "btn.pause", paused: "btn.resume" }[view.state] || "btn.open");
    // A button is disabled when its command is impossible; while a command is on its way the buttons stay
    // enabled (run() says "wait") and only say so (aria-disabled), so a keyboard user's focus is not thrown out.
    const busy = pending.size > 0;
    const focused = document.activeElement;
    for (const button of document.querySelectorAll(".actions button")) {
      markUnavailable(button, button.dataset.action ? unavailable(button.dataset.action) : numberWhy(), busy);
    }
    desk.classList.toggle("busy", busy);
    desk.setAttribute("aria-busy", String(busy));
    // A focused button that has just become impossible (no-show pressed: nobody is called now) hands the focus to
    // the first action that is possible, so Tab and Enter go on from the actions rather than the top of the page.
    if (focused instanceof HTMLButtonElement && focused.disabled && focused.closest(".actions")) {
      document.querySelector(".actions button:not(:disabled)")?.focus();
    }

    renderWaiting();
    renderIssuingPaused();
    renderTransferPaused();
    renderDialogLinks();

    renderNoShows(busy);
    const closedToday = view.state !== "open" && dayClosed() ? "local.day_closed" : null; // the counter cannot open
    const idle = view.state !== "open" ? "local.not_open" : c ? "local.has_ticket" : null; // open and idle, to call back
    renderParked(busy ? "local.busy" : closedToday || idle || (offline() ? "local.offline" : null));
    setText("totals", t("totals.line", view.totals));

    question.refresh(); // its counts and the TV's "said yet" follow the page behind it

    const waitsForLink = message?.sending && connState !== "connected"; // said so, with the way out
    const stuck = connState === "doubtful" ? "sending_doubtful" : "sending_offline";
    writeLine(waitsForLink ? t(stuck) : message ? (lang === "en" ? message.en : message.id) : "", Boolean(message && message.error));
    document.getElementById("reload-page").hidden = !(message?.reload && !waitsForLink);
  }

  // The message line (role=status) is where the operator hears what happened. A modal dialog (a question, the
  // transfer or park dialog) makes the rest of the page inert: Chromium leaves it out of the accessibility tree, so
  // a colleague's change, a refusal or "Menunggu sambungan ..." said behind the dialog were never read out, and only
  // seen dimmed under the backdrop. So the line lives in the open modal dialog on top (above its buttons: one live
  // region, above the backdrop) and goes back to the page when it closes. A live region read out is one that was
  // already there when its words changed: the words that come with a move (the question withdrawn) are written
  // once the line has been drawn in its new place, a frame later; until then it keeps what it said.
  const line = document.getElementById("message");
  const lineBox = line.parentElement; // the line and its reload button: they move together
  const lineHome = lineBox.parentElement;
  let lineWords = null; // [text, error] to be written once the line has settled
  let lineFrame = 0; // a frame being waited for

  function placeLine() {
    const top = [...document.querySelectorAll("dialog[open]")].filter((d) => d.matches(":modal")).at(-1);
    const before = top?.querySelector(".row"); // its buttons
    if (before ? lineBox.nextElementSibling === before : lineBox.parentElement === lineHome && !lineBox.nextElementSibling) return false;
    if (before) before.before(lineBox);
    else lineHome.append(lineBox);
    return true;
  }

  function writeLine(text, error) {
    lineWords = [text, error];
    // (a tab in the background draws no frame: nobody is reading it there)
    if ((placeLine() || lineFrame) && !document.hidden) {
      lineFrame ||= requestAnimationFrame(() => { lineFrame = setTimeout(settled, 0); });
      return;
    }
    if (line.textContent !== text) line.textContent = text;
    line.classList.toggle("error", error);
  }

  function settled() {
    lineFrame = 0;
    writeLine(...lineWords);
  }

  // a dialog opened or closed: the line goes along at once, with what it says (words to come follow it)
  new MutationObserver(() => writeLine(...(lineWords || ["", false])))
    .observe(document.body, { subtree: true, attributes: true, attributeFilter: ["open"] });

  // A button of the no-show or parked list. The list is redrawn as soon as the first click's answer comes (a few
  // ms on the LAN), so the second click of a double click lands on the row that moved up: another citizen
  // requeued (an outside review saw it). That second click (detail 2) is not a press, as on the action buttons.
  function listPress(event, button, name, label) {
    if (event.detail) button.blur();
    if (event.detail > 1) return;
    if (button.dataset.why) return sayWhy(button.dataset.why, { ticket: label }); // unavailable: why, nothing sent
    run(name, { ticket: label });
  }

  // The waiting counts per service. Redrawn only when they change (the page renders every second: the list was
  // replaced under a screen reader's cursor each time), and said in a polite live region of their own once they
  // have held for WAITING_SETTLE_MS, at most once every WAITING_GAP_MS: a busy hall changes them every few seconds,
  // and each change read out would drown the message line. The counts found at sign-in are not news.
  const WAITING_SETTLE_MS = 3000;
  const WAITING_GAP_MS = 15000;
  let waitingDrawn = "";
  let waitingSaid = null; // the counts last said (or found at sign-in), as waitingKey() writes them
  let waitingSeen = { key: "", since: 0 }; // the counts now, since when
  let waitingSaidAt = -Infinity;

  function waitingKey() {
    return JSON.stringify([...waitingCounts()]);
  }

  function renderWaiting() {
    const counts = [...waitingCounts()];
    const paused = pausedServices(); // marked on their count, said in full below the list
    const drawn = JSON.stringify([lang, counts, paused]);
    if (drawn !== waitingDrawn) {
      waitingDrawn = drawn;
      document.getElementById("waiting").replaceChildren(...counts.map(([service, n]) => {
        const li = document.createElement("li");
        li.dataset.service = service;
        li.classList.toggle("paused", paused.includes(service));
        const name = document.createElement("span");
        name.textContent = serviceName(service);
        const count = document.createElement("strong");
        count.textContent = String(n);
        li.append(name, count);
        return li;
      }));
    }
    const key = waitingKey();
    const now = performance.now();
    if (key !== waitingSeen.key) waitingSeen = { key, since: now };
    if (waitingSaid === null || key === waitingSaid) return;
    if (now - waitingSeen.since < WAITING_SETTLE_MS || now - waitingSaidAt < WAITING_GAP_MS) return;
    waitingSaid = key;
    waitingSaidAt = now;
    const words = counts.map(([service, n]) => `${serviceName(service)} ${n}`).join(", ");
    setText("waiting-news", t("waiting.news", { counts: words }));
  }

  // This counter's services whose issuing is paused today, said plainly above the waiting counts: the operator is
  // the one citizens ask why the kiosk gives no number, and the line still to call is all there will be. Redrawn
  // only when it changes (a polite live region: a screen reader hears a pause and the line going on resume).
  let pausedDrawn = "";

  function pausedServices() {
    const today = siteDate(new Date(serverNow()).toISOString());
    return view.services.filter((service) => view.paused.get(service)?.day === today);
  }

  function renderIssuingPaused() {
    const services = pausedServices();
    const drawn = JSON.stringify([lang, services.map((service) => {
      const pause = view.paused.get(service);
      return [service, pause, untilPast(pause)];
    })]);
    if (drawn === pausedDrawn) return;
    pausedDrawn = drawn;
    const box = document.getElementById("issuing-paused");
    box.replaceChildren(...services.map((service) => {
      const pause = view.paused.get(service);
      const p = document.createElement("p");
      p.dataset.service = service;
      const words = [t("issuing.paused", { service: serviceName(service), reason: pause.reason })];
      if (pause.until) words.push(t(untilPast(pause) ? "issuing.until_past" : "issuing.until", { time: siteTime(pause.until) }));
      words.push(t("issuing.still_called"));
      p.textContent = words.join(" ");
      return p;
    }));
  }

  let noShowsDrawn = ""; // as the parked list: redrawn only when it changes, so no press is lost to a redraw

  function renderNoShows(busy) {
    const list = document.getElementById("no-shows");
    const missing = noShows();
    // a call needs an open counter with no ticket, as "call next"; a requeue, a day not closed (day_closed)
    const callWhy = busy ? "local.busy" : callBlocked() || (offline() ? "local.offline" : null);
    const requeueNot = busy ? "local.busy" : requeueWhy();
    const drawn = JSON.stringify([lang, callWhy, requeueNot, missing.map((ticket) => [ticket.id, ticket.label])]);
    if (drawn === noShowsDrawn) return;
    noShowsDrawn = drawn;
    if (!missing.length) {
      const li = document.createElement("li");
      li.className = "dim";
      li.textContent = t("no_shows.none");
      list.replaceChildren(li);
    } else {
      list.replaceChildren(...missing.map((ticket) => {
        const li = document.createElement("li");
        li.dataset.label = ticket.label;
        const label = document.createElement("strong");
        label.textContent = ticket.label;
        const call = document.createElement("button");
        call.type = "button";
        call.className = "small";
        call.textContent = t("btn.call");
        call.addEventListener("click", (event) => listPress(event, call, "call", ticket.label));
        const requeue = document.createElement("button");
        requeue.type = "button";
        requeue.className = "small";
        requeue.textContent = t("btn.requeue");
        requeue.addEventListener("click", (event) => listPress(event, requeue, "requeue", ticket.label));
        markUnavailable(call, callWhy);
        markUnavailable(requeue, requeueNot);
        li.append(label, call, requeue);
        return li;
      }));
    }
  }

  // "08.30" in Indonesian, "08:30" in English: the site's wall clock, whatever this PC's zone.
  function siteTime(at, language = lang) {
    const parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: catalogue?.site.timezone || undefined, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(at));
    const part = (type) => parts.find((p) => p.type === type)?.value ?? "";
    return `${part("hour")}${language === "en" ? ":" : "."}${part("minute")}`;
  }

  // The site's date of a moment ("2026-12-07"), for "today".
  function siteDate(at) {
    return new Intl.DateTimeFormat("en-CA", {
      timeZone: catalogue?.site.timezone || undefined, year: "numeric", month: "2-digit", day: "2-digit",
    }).format(new Date(at));
  }

  let parkedDrawn = ""; // redrawn only when it changes: the page renders every second, and a button under the
  // operator's pointer must not be replaced between press and release

  function renderParked(backWhy) {
    const list = document.getElementById("parked");
    const tickets = parkedTickets();
    const rows = tickets.map((ticket) => {
      const at = ticket.parked_at;
      const since = at ? t("parked.since", { time: siteTime(at) }) : "";
      const where = ticket.counter && ticket.counter !== COUNTER ? counterName(ticket.counter) : "";
      return { ticket, since, where };
    });
    const drawn = JSON.stringify([lang, backWhy, rows.map((r) => [r.ticket.id, r.ticket.label, r.ticket.note, r.since, r.where])]);
    if (drawn === parkedDrawn) return;
    parkedDrawn = drawn;
    if (!rows.length) {
      const li = document.createElement("li");
      li.className = "dim";
      li.textContent = t("parked.none");
      list.replaceChildren(li);
      return;
    }
    list.replaceChildren(...rows.map(({ ticket, since, where }) => {
      const li = document.createElement("li");
      li.dataset.label = ticket.label;
      const label = document.createElement("strong");
      label.textContent = ticket.label;
      const time = document.createElement("span");
      time.className = "since";
      time.textContent = since;
      const parts = [label, time];
      if (where) {
        const by = document.createElement("span");
        by.className = "by dim";
        by.textContent = where;
        parts.push(by);
      }
      const note = document.createElement("span");
      note.className = "note";
      note.textContent = ticket.note || "";
      const back = document.createElement("button");
      back.type = "button";
      back.className = "small call-back";
      back.textContent = t("btn.call_back");
      markUnavailable(back, backWhy); // the counter must be open and idle
      back.addEventListener("click", (event) => listPress(event, back, "unpark", ticket.label));
      li.append(...parts, note, back);
      return li;
    }));
  }

  setInterval(render, 1000); // the "served for" clock

  render();
  revokeNow(); // a sign-out this browser could not record before (any counter page's)
  if (token) start().catch((error) => showSignin(serverMessage(error)));
  else showSignin(null);
})();
