# The bot's own words in English, the fallback for every other language.
# Texts are Markdown (rendered to Telegram HTML like Claude's answers). Placeables and
# what they hold are listed in src/i18n/messages.ts; user-chosen values arrive escaped.

## Commands

welcome =
    Hi { $name }! I'm an assistant powered by Claude. Just write to me.

    I remember our conversation, can use tools (time, arithmetic, your notes) and switch personas with /skill. Send /help for the commands.
help =
    Commands:
    /start – welcome
    /help – this help
    /stop – stop the answer being written
    /reset – forget this chat's history
    /undo – remove the last exchange
    /skill – list personas; /skill <name> switches
    /stats – your messages, tokens and estimated cost

    Personas:
    { $skills }
skill-list =
    Personas (use /skill <name>):
    { $skills }
skill-active = (active)
skill-switched = Switched to { $name }.
skill-unknown =
    There's no persona called "{ $name }". Available:
    { $skills }
reset-done = Done: I've forgotten this chat's history.
reset-nothing = There's no history to forget.
undo-done = Removed the last exchange.
undo-nothing = There's nothing to undo.
stats =
    Your usage so far:
    Messages: { $messages }
    Tokens in: { $input } (+{ $cached } from cache)
    Tokens out: { $output }
    Web searches: { $searches }
    Estimated cost: { $cost }
    Saved by prompt caching: { $saved }

    Spent today (UTC): { $today } { $dailyLimit ->
        [admin] (no limit: admin)
        [some] of { $daily }
       *[none] (no limit)
    }
    Spent this month: { $month } { $monthlyLimit ->
        [admin] (no limit: admin)
        [some] of { $monthly }
       *[none] (no limit)
    }

## The command menu (at most 256 characters each)

command-start = Welcome
command-help = Commands and personas
command-stop = Stop the answer being written
command-reset = Forget this chat's history
command-undo = Remove the last exchange
command-skill = List or switch personas
command-stats = Your usage and estimated cost

## Refusals and failures

not-allowed = Sorry, this bot is private and you're not on its list of users.
not-admin = Only this group's admins can do that.
too-long = That message is too long for me ({ $got } characters; the limit is { $max }). Please shorten it or split it up.
rate-limited = You're sending messages faster than I can keep up. Please wait about { $seconds } s.
text-only = I can only read text messages for now.
not-saved = (I couldn't save this exchange, so I may not remember it. Sorry about that.)
internal-error = Something went wrong on my side. Please try again.
stats-in-private = Usage is private: send /stats to me in a private chat (@{ $bot }).
over-budget = { $period ->
        [day] You've reached your daily budget
       *[month] You've reached your monthly budget
    }{ $amounts ->
        [shown] { " " }({ $spent } of { $limit })
       *[hidden] {""}
    }, so I can't answer you until it resets { $period ->
        [day] at midnight UTC
       *[month] on { $resetDate } at 00:00 UTC
    }, { $wait }.{ $amounts ->
        [shown] { " " }/stats shows your usage.
       *[hidden] {""}
    }
album-item = [item { $n }: { $reason }]
using-tool = _Using { $tool }…_
stopped-note = _(stopped)_
stop-nothing = There is nothing to stop right now.

## Notices after (or instead of) the model's answer

agent-iteration-limit = (I stopped after { $steps } tool steps. If something is missing, ask me to continue.)
agent-cut = (My reply hit the length limit and was cut off here. Say “continue” and I will pick up where I stopped.)
agent-cut-in-tool = (My reply hit the length limit while I was starting a step, so that step did not run and nothing was done. Say “continue” and I will try again.)
agent-empty = (I finished without writing a reply. Ask again if you expected one.)
agent-refused = I can't help with that request, so I've left it out of our conversation. You can ask me something else.
agent-context-exceeded = This conversation has grown too long for me to answer, so I've set that message aside. Send /reset to start fresh, or try a shorter message.

## The model's failures

model-rate-limited = I'm getting too many requests right now. Please try again in a minute.
model-overloaded = Claude is overloaded at the moment. Please try again in a little while.
model-timeout = That took too long and I gave up. Please try again, perhaps with a shorter request.
model-unavailable = I couldn't reach Claude just now. Please try again shortly.
model-misconfigured = I'm not set up correctly to answer right now. The bot's operator has been told.
model-rejected = That request was too large for me to process. Try a shorter message, or /reset to start fresh.

## Media refusals

media-unsupported-kind =
    I can read photos, images, PDFs and text files, but not { $kind ->
        [sticker] stickers
        [voice] voice messages
        [video_note] video messages
        [video] videos
        [audio] audio files
        [animation] GIFs sent as animations (send the image as a file instead)
        [paid_media] paid media
       *[other] this kind of message
    }.
media-unsupported-type = I can read JPEG, PNG, GIF and WebP images, PDFs and text files; this file is none of those.
media-too-large = That file is { $size } MB; I can take files up to { $limit } MB.
media-too-large-unknown = That file is too large for me.
media-image-too-large = That image is too large for me, even scaled down. Could you send a smaller one?
media-corrupt-image = I couldn't open that image; the file seems damaged.
media-pdf-too-large = That PDF is too large for me to read in one go.
media-pdf-too-many-pages = That PDF has { $pages } pages; I can read at most { $limit }.
media-pdf-too-many-pages-unknown = That PDF has too many pages for me (at most { $limit }).
media-pdf-encrypted = That PDF is encrypted or password-protected. Please send an unprotected copy.
media-pdf-unreadable = I couldn't open that PDF; the file seems damaged.
media-not-text = That file isn't text I can read (I read UTF-8 text files).
media-empty-file = That file is empty.
media-text-too-long = That text file is too long for me ({ $chars } characters; at most { $limit }).
media-text-too-long-unknown = That text file is too long for me.
media-file-unavailable = Telegram wouldn't give me that file. Please send it again.
media-download-failed = I couldn't download that file from Telegram. Please try again in a moment.
media-timeout = Fetching that file took too long. Please try again.
