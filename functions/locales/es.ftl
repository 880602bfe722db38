# Las palabras del bot en español. Markdown; los placeables se describen en src/i18n/messages.ts.

## Commands

welcome =
    ¡Hola, { $name }! Soy un asistente impulsado por Claude. Escríbeme lo que quieras.

    Recuerdo nuestra conversación, puedo usar herramientas (hora, cálculos, tus notas) y cambiar de personaje con /skill. Envía /help para ver los comandos.
help =
    Comandos:
    /start – bienvenida
    /help – esta ayuda
    /stop – detener la respuesta en curso
    /reset – olvidar el historial de este chat
    /undo – quitar el último intercambio
    /skill – ver los personajes; /skill <nombre> cambia de personaje
    /stats – tus mensajes, tokens y costo estimado

    Personajes:
    { $skills }
skill-list =
    Personajes (usa /skill <nombre>):
    { $skills }
skill-active = (activo)
skill-switched = Personaje cambiado a { $name }.
skill-unknown =
    No hay ningún personaje llamado "{ $name }". Disponibles:
    { $skills }
reset-done = Hecho: he olvidado el historial de este chat.
reset-nothing = No hay historial que olvidar.
undo-done = He quitado el último intercambio.
undo-nothing = No hay nada que deshacer.
stats =
    Tu uso hasta ahora:
    Mensajes: { $messages }
    Tokens de entrada: { $input } (+{ $cached } de la caché)
    Tokens de salida: { $output }
    Búsquedas web: { $searches }
    Costo estimado: { $cost }
    Ahorrado con la caché de prompts: { $saved }

    Gastado hoy (UTC): { $today } { $dailyLimit ->
        [admin] (sin límite: admin)
        [some] de { $daily }
       *[none] (sin límite)
    }
    Gastado este mes: { $month } { $monthlyLimit ->
        [admin] (sin límite: admin)
        [some] de { $monthly }
       *[none] (sin límite)
    }

## The command menu (at most 256 characters each)

command-start = Bienvenida
command-help = Comandos y personajes
command-stop = Detener la respuesta en curso
command-reset = Olvidar el historial de este chat
command-undo = Quitar el último intercambio
command-skill = Ver o cambiar de personaje
command-stats = Tu uso y costo estimado

## Refusals and failures

not-allowed = Lo siento, este bot es privado y no estás en su lista de usuarios.
not-admin = Solo los administradores de este grupo pueden hacer eso.
too-long = Ese mensaje es demasiado largo para mí ({ $got } caracteres; el límite es { $max }). Acórtalo o divídelo, por favor.
rate-limited = Me envías mensajes más rápido de lo que puedo seguir. Espera unos { $seconds } s, por favor.
text-only = Por ahora solo puedo leer mensajes de texto.
not-saved = (No pude guardar este intercambio, así que puede que no lo recuerde. Lo siento.)
internal-error = Algo salió mal por mi parte. Inténtalo de nuevo, por favor.
stats-in-private = Tu uso es privado: envíame /stats en un chat privado (@{ $bot }).
over-budget = { $period ->
        [day] Has alcanzado tu presupuesto diario
       *[month] Has alcanzado tu presupuesto mensual
    }{ $amounts ->
        [shown] { " " }({ $spent } de { $limit })
       *[hidden] {""}
    }, así que no puedo responderte hasta que se renueve { $period ->
        [day] a medianoche UTC
       *[month] el { $resetDate } a las 00:00 UTC
    }, { $wait }.{ $amounts ->
        [shown] { " " }/stats muestra tu uso.
       *[hidden] {""}
    }
album-item = [elemento { $n }: { $reason }]
using-tool = _Usando { $tool }…_
stopped-note = _(detenido)_
stop-nothing = Ahora mismo no hay nada que detener.

## Notices after (or instead of) the model's answer

agent-iteration-limit = (Me detuve tras { $steps } pasos con herramientas. Si falta algo, pídeme que continúe.)
agent-cut = (Mi respuesta llegó al límite de longitud y se cortó aquí. Di «continúa» y seguiré donde lo dejé.)
agent-cut-in-tool = (Mi respuesta llegó al límite de longitud justo al empezar un paso, así que ese paso no se ejecutó y no se hizo nada. Di «continúa» y lo intentaré de nuevo.)
agent-empty = (Terminé sin escribir una respuesta. Vuelve a preguntar si esperabas una.)
agent-refused = No puedo ayudar con esa petición, así que la he dejado fuera de nuestra conversación. Puedes preguntarme otra cosa.
agent-context-exceeded = Esta conversación se ha hecho demasiado larga para que pueda responder, así que he apartado ese mensaje. Envía /reset para empezar de cero o prueba con un mensaje más corto.

## The model's failures

model-rate-limited = Estoy recibiendo demasiadas peticiones ahora mismo. Inténtalo de nuevo en un minuto.
model-overloaded = Claude está sobrecargado en este momento. Inténtalo de nuevo dentro de un rato.
model-timeout = Tardé demasiado y me rendí. Inténtalo de nuevo, quizá con una petición más corta.
model-unavailable = No pude conectar con Claude. Inténtalo de nuevo en breve.
model-misconfigured = Ahora mismo no estoy bien configurado para responder. Ya se ha avisado a quien gestiona el bot.
model-rejected = Esa petición era demasiado grande para procesarla. Prueba con un mensaje más corto, o con /reset para empezar de cero.

## Media refusals

media-unsupported-kind =
    Puedo leer fotos, imágenes, PDF y archivos de texto, pero no { $kind ->
        [sticker] stickers
        [voice] mensajes de voz
        [video_note] videomensajes
        [video] vídeos
        [audio] archivos de audio
        [animation] GIF enviados como animación (envía la imagen como archivo)
        [paid_media] contenido de pago
       *[other] este tipo de mensaje
    }.
media-unsupported-type = Puedo leer imágenes JPEG, PNG, GIF y WebP, PDF y archivos de texto; este archivo no es ninguno de ellos.
media-too-large = Ese archivo ocupa { $size } MB; acepto archivos de hasta { $limit } MB.
media-too-large-unknown = Ese archivo es demasiado grande para mí.
media-image-too-large = Esa imagen es demasiado grande para mí, incluso reducida. ¿Puedes enviar una más pequeña?
media-corrupt-image = No pude abrir esa imagen; el archivo parece dañado.
media-pdf-too-large = Ese PDF es demasiado grande para leerlo de una vez.
media-pdf-too-many-pages = Ese PDF tiene { $pages } páginas; puedo leer como máximo { $limit }.
media-pdf-too-many-pages-unknown = Ese PDF tiene demasiadas páginas para mí (como máximo { $limit }).
media-pdf-encrypted = Ese PDF está cifrado o protegido con contraseña. Envía una copia sin protección, por favor.
media-pdf-unreadable = No pude abrir ese PDF; el archivo parece dañado.
media-not-text = Ese archivo no es un texto que pueda leer (leo archivos de texto UTF-8).
media-empty-file = Ese archivo está vacío.
media-text-too-long = Ese archivo de texto es demasiado largo para mí ({ $chars } caracteres; como máximo { $limit }).
media-text-too-long-unknown = Ese archivo de texto es demasiado largo para mí.
media-file-unavailable = Telegram no me dio ese archivo. Envíalo de nuevo, por favor.
media-download-failed = No pude descargar ese archivo de Telegram. Inténtalo de nuevo en un momento.
media-timeout = Descargar ese archivo tardó demasiado. Inténtalo de nuevo.
