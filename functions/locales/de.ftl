# Die Worte des Bots auf Deutsch. Markdown; die Platzhalter stehen in src/i18n/messages.ts.

## Commands

welcome =
    Hallo { $name }! Ich bin ein Assistent, der mit Claude arbeitet. Schreib mir einfach.

    Ich merke mir unser Gespräch, kann Werkzeuge nutzen (Uhrzeit, Rechnen, deine Notizen) und mit /skill die Persona wechseln. Schick /help für die Befehle.
help =
    Befehle:
    /start – Begrüßung
    /help – diese Hilfe
    /stop – die laufende Antwort stoppen
    /reset – den Verlauf dieses Chats vergessen
    /undo – den letzten Austausch entfernen
    /skill – Personas anzeigen; /skill <Name> wechselt
    /stats – deine Nachrichten, Tokens und geschätzten Kosten

    Personas:
    { $skills }
skill-list =
    Personas (wechseln mit /skill <Name>):
    { $skills }
skill-active = (aktiv)
skill-switched = Gewechselt zu { $name }.
skill-unknown =
    Es gibt keine Persona namens „{ $name }“. Verfügbar:
    { $skills }
reset-done = Erledigt: Ich habe den Verlauf dieses Chats vergessen.
reset-nothing = Es gibt keinen Verlauf zu vergessen.
undo-done = Der letzte Austausch ist entfernt.
undo-nothing = Es gibt nichts rückgängig zu machen.
stats =
    Deine bisherige Nutzung:
    Nachrichten: { $messages }
    Tokens rein: { $input } (+{ $cached } aus dem Cache)
    Tokens raus: { $output }
    Websuchen: { $searches }
    Geschätzte Kosten: { $cost }
    Durch Prompt-Caching gespart: { $saved }

    Heute ausgegeben (UTC): { $today } { $dailyLimit ->
        [admin] (kein Limit: Admin)
        [some] von { $daily }
       *[none] (kein Limit)
    }
    Diesen Monat ausgegeben: { $month } { $monthlyLimit ->
        [admin] (kein Limit: Admin)
        [some] von { $monthly }
       *[none] (kein Limit)
    }

## The command menu (at most 256 characters each)

command-start = Begrüßung
command-help = Befehle und Personas
command-stop = Die laufende Antwort stoppen
command-reset = Den Verlauf dieses Chats vergessen
command-undo = Den letzten Austausch entfernen
command-skill = Personas anzeigen oder wechseln
command-stats = Deine Nutzung und geschätzten Kosten

## Refusals and failures

not-allowed = Tut mir leid, dieser Bot ist privat und du stehst nicht auf seiner Nutzerliste.
not-admin = Das dürfen nur die Admins dieser Gruppe.
too-long = Diese Nachricht ist mir zu lang ({ $got } Zeichen; das Limit ist { $max }). Bitte kürze sie oder teile sie auf.
rate-limited = Du schickst Nachrichten schneller, als ich mitkomme. Bitte warte etwa { $seconds } s.
text-only = Ich kann vorerst nur Textnachrichten lesen.
not-saved = (Ich konnte diesen Austausch nicht speichern und erinnere mich vielleicht nicht daran. Tut mir leid.)
internal-error = Bei mir ist etwas schiefgelaufen. Bitte versuch es noch einmal.
stats-in-private = Deine Nutzung ist privat: Schick mir /stats in einem privaten Chat (@{ $bot }).
over-budget = { $period ->
        [day] Du hast dein Tagesbudget erreicht
       *[month] Du hast dein Monatsbudget erreicht
    }{ $amounts ->
        [shown] { " " }({ $spent } von { $limit })
       *[hidden] {""}
    }, deshalb kann ich dir erst wieder antworten, wenn es zurückgesetzt wird: { $period ->
        [day] um Mitternacht UTC
       *[month] am { $resetDate } um 00:00 UTC
    }, { $wait }.{ $amounts ->
        [shown] { " " }/stats zeigt deine Nutzung.
       *[hidden] {""}
    }
album-item = [Element { $n }: { $reason }]
using-tool = _Nutze { $tool }…_
stopped-note = _(gestoppt)_
stop-nothing = Gerade gibt es nichts zu stoppen.

## Notices after (or instead of) the model's answer

agent-iteration-limit = (Ich habe nach { $steps } Werkzeugschritten aufgehört. Falls etwas fehlt, bitte mich weiterzumachen.)
agent-cut = (Meine Antwort hat die Längengrenze erreicht und wurde hier abgeschnitten. Sag „weiter“, dann mache ich dort weiter, wo ich aufgehört habe.)
agent-cut-in-tool = (Meine Antwort hat die Längengrenze erreicht, als ich gerade einen Schritt begann; dieser Schritt lief also nicht, und es ist nichts passiert. Sag „weiter“, dann versuche ich es noch einmal.)
agent-empty = (Ich bin fertig geworden, ohne eine Antwort zu schreiben. Frag noch einmal, falls du eine erwartet hast.)
agent-refused = Bei dieser Anfrage kann ich nicht helfen, deshalb habe ich sie aus unserem Gespräch herausgenommen. Du kannst mich gern etwas anderes fragen.
agent-context-exceeded = Dieses Gespräch ist zu lang geworden, um darauf zu antworten, deshalb habe ich die Nachricht beiseitegelegt. Schick /reset für einen Neuanfang oder versuch es mit einer kürzeren Nachricht.

## The model's failures

model-rate-limited = Ich bekomme gerade zu viele Anfragen. Bitte versuch es in einer Minute noch einmal.
model-overloaded = Claude ist im Moment überlastet. Bitte versuch es in Kürze noch einmal.
model-timeout = Das hat zu lange gedauert, und ich habe aufgegeben. Bitte versuch es noch einmal, vielleicht mit einer kürzeren Anfrage.
model-unavailable = Ich konnte Claude gerade nicht erreichen. Bitte versuch es gleich noch einmal.
model-misconfigured = Ich bin gerade nicht richtig eingerichtet, um zu antworten. Der Betreiber des Bots ist informiert.
model-rejected = Diese Anfrage war zu groß für mich. Versuch es mit einer kürzeren Nachricht oder mit /reset für einen Neuanfang.

## Media refusals

media-unsupported-kind =
    Ich kann Fotos, Bilder, PDFs und Textdateien lesen, aber keine { $kind ->
        [sticker] Sticker
        [voice] Sprachnachrichten
        [video_note] Videonachrichten
        [video] Videos
        [audio] Audiodateien
        [animation] als Animation gesendeten GIFs (schick das Bild stattdessen als Datei)
        [paid_media] kostenpflichtigen Medien
       *[other] Nachrichten dieser Art
    }.
media-unsupported-type = Ich kann JPEG-, PNG-, GIF- und WebP-Bilder, PDFs und Textdateien lesen; diese Datei ist nichts davon.
media-too-large = Diese Datei ist { $size } MB groß; ich nehme Dateien bis { $limit } MB.
media-too-large-unknown = Diese Datei ist mir zu groß.
media-image-too-large = Dieses Bild ist mir selbst verkleinert zu groß. Kannst du ein kleineres schicken?
media-corrupt-image = Ich konnte dieses Bild nicht öffnen; die Datei scheint beschädigt zu sein.
media-pdf-too-large = Dieses PDF ist zu groß, um es in einem Rutsch zu lesen.
media-pdf-too-many-pages = Dieses PDF hat { $pages } Seiten; ich kann höchstens { $limit } lesen.
media-pdf-too-many-pages-unknown = Dieses PDF hat zu viele Seiten für mich (höchstens { $limit }).
media-pdf-encrypted = Dieses PDF ist verschlüsselt oder passwortgeschützt. Bitte schick eine ungeschützte Kopie.
media-pdf-unreadable = Ich konnte dieses PDF nicht öffnen; die Datei scheint beschädigt zu sein.
media-not-text = Diese Datei ist kein Text, den ich lesen kann (ich lese UTF-8-Textdateien).
media-empty-file = Diese Datei ist leer.
media-text-too-long = Diese Textdatei ist mir zu lang ({ $chars } Zeichen; höchstens { $limit }).
media-text-too-long-unknown = Diese Textdatei ist mir zu lang.
media-file-unavailable = Telegram hat mir diese Datei nicht gegeben. Bitte schick sie noch einmal.
media-download-failed = Ich konnte diese Datei nicht von Telegram herunterladen. Bitte versuch es gleich noch einmal.
media-timeout = Das Abrufen dieser Datei hat zu lange gedauert. Bitte versuch es noch einmal.
