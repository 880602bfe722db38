# As palavras do bot em português. Markdown; os placeables estão descritos em src/i18n/messages.ts.

## Commands

welcome =
    Olá, { $name }! Sou um assistente movido pelo Claude. É só me escrever.

    Eu lembro da nossa conversa, posso usar ferramentas (hora, contas, suas notas) e trocar de persona com /skill. Envie /help para ver os comandos.
help =
    Comandos:
    /start – boas-vindas
    /help – esta ajuda
    /stop – interromper a resposta em andamento
    /reset – esquecer o histórico deste chat
    /undo – remover a última troca
    /skill – listar as personas; /skill <nome> troca de persona
    /stats – suas mensagens, tokens e custo estimado

    Personas:
    { $skills }
skill-list =
    Personas (use /skill <nome>):
    { $skills }
skill-active = (ativa)
skill-switched = Persona trocada para { $name }.
skill-unknown =
    Não existe nenhuma persona chamada "{ $name }". Disponíveis:
    { $skills }
reset-done = Pronto: esqueci o histórico deste chat.
reset-nothing = Não há histórico para esquecer.
undo-done = Removi a última troca.
undo-nothing = Não há nada para desfazer.
stats =
    Seu uso até agora:
    Mensagens: { $messages }
    Tokens de entrada: { $input } (+{ $cached } do cache)
    Tokens de saída: { $output }
    Buscas na web: { $searches }
    Custo estimado: { $cost }
    Economizado com o cache de prompts: { $saved }

    Gasto hoje (UTC): { $today } { $dailyLimit ->
        [admin] (sem limite: admin)
        [some] de { $daily }
       *[none] (sem limite)
    }
    Gasto este mês: { $month } { $monthlyLimit ->
        [admin] (sem limite: admin)
        [some] de { $monthly }
       *[none] (sem limite)
    }

## The command menu (at most 256 characters each)

command-start = Boas-vindas
command-help = Comandos e personas
command-stop = Interromper a resposta em andamento
command-reset = Esquecer o histórico deste chat
command-undo = Remover a última troca
command-skill = Listar ou trocar de persona
command-stats = Seu uso e custo estimado

## Refusals and failures

not-allowed = Desculpe, este bot é privado e você não está na lista de usuários.
not-admin = Só os administradores deste grupo podem fazer isso.
too-long = Essa mensagem é longa demais para mim ({ $got } caracteres; o limite é { $max }). Encurte-a ou divida-a em partes, por favor.
rate-limited = Você está enviando mensagens mais rápido do que consigo acompanhar. Espere cerca de { $seconds } s, por favor.
text-only = Por enquanto só consigo ler mensagens de texto.
not-saved = (Não consegui salvar esta troca, então talvez eu não me lembre dela. Desculpe.)
internal-error = Algo deu errado do meu lado. Tente de novo, por favor.
stats-in-private = Seu uso é privado: envie /stats para mim em um chat privado (@{ $bot }).
over-budget = { $period ->
        [day] Você atingiu seu orçamento diário
       *[month] Você atingiu seu orçamento mensal
    }{ $amounts ->
        [shown] { " " }({ $spent } de { $limit })
       *[hidden] {""}
    }, então não posso responder até que ele seja renovado { $period ->
        [day] à meia-noite UTC
       *[month] em { $resetDate } às 00:00 UTC
    }, { $wait }.{ $amounts ->
        [shown] { " " }/stats mostra seu uso.
       *[hidden] {""}
    }
album-item = [item { $n }: { $reason }]
using-tool = _Usando { $tool }…_
stopped-note = _(interrompido)_
stop-nothing = Não há nada para interromper agora.

## Notices after (or instead of) the model's answer

agent-iteration-limit = (Parei depois de { $steps } etapas com ferramentas. Se faltar algo, peça para eu continuar.)
agent-cut = (Minha resposta atingiu o limite de tamanho e foi cortada aqui. Diga “continue” e eu retomo de onde parei.)
agent-cut-in-tool = (Minha resposta atingiu o limite de tamanho bem quando eu começava uma etapa, então essa etapa não foi executada e nada foi feito. Diga “continue” e eu tento de novo.)
agent-empty = (Terminei sem escrever uma resposta. Pergunte de novo se esperava uma.)
agent-refused = Não posso ajudar com esse pedido, então o deixei fora da nossa conversa. Você pode me perguntar outra coisa.
agent-context-exceeded = Esta conversa ficou longa demais para eu responder, então deixei essa mensagem de lado. Envie /reset para começar do zero ou tente uma mensagem mais curta.

## The model's failures

model-rate-limited = Estou recebendo pedidos demais agora. Tente de novo daqui a um minuto.
model-overloaded = O Claude está sobrecarregado no momento. Tente de novo daqui a pouco.
model-timeout = Demorou demais e eu desisti. Tente de novo, talvez com um pedido mais curto.
model-unavailable = Não consegui falar com o Claude agora. Tente de novo em instantes.
model-misconfigured = Não estou configurado corretamente para responder agora. Quem opera o bot já foi avisado.
model-rejected = Esse pedido era grande demais para eu processar. Tente uma mensagem mais curta, ou /reset para começar do zero.

## Media refusals

media-unsupported-kind =
    Consigo ler fotos, imagens, PDFs e arquivos de texto, mas não { $kind ->
        [sticker] figurinhas
        [voice] mensagens de voz
        [video_note] mensagens de vídeo
        [video] vídeos
        [audio] arquivos de áudio
        [animation] GIFs enviados como animação (envie a imagem como arquivo)
        [paid_media] mídia paga
       *[other] esse tipo de mensagem
    }.
media-unsupported-type = Consigo ler imagens JPEG, PNG, GIF e WebP, PDFs e arquivos de texto; este arquivo não é nenhum desses.
media-too-large = Esse arquivo tem { $size } MB; aceito arquivos de até { $limit } MB.
media-too-large-unknown = Esse arquivo é grande demais para mim.
media-image-too-large = Essa imagem é grande demais para mim, mesmo reduzida. Pode enviar uma menor?
media-corrupt-image = Não consegui abrir essa imagem; o arquivo parece danificado.
media-pdf-too-large = Esse PDF é grande demais para eu ler de uma vez.
media-pdf-too-many-pages = Esse PDF tem { $pages } páginas; consigo ler no máximo { $limit }.
media-pdf-too-many-pages-unknown = Esse PDF tem páginas demais para mim (no máximo { $limit }).
media-pdf-encrypted = Esse PDF está criptografado ou protegido por senha. Envie uma cópia sem proteção, por favor.
media-pdf-unreadable = Não consegui abrir esse PDF; o arquivo parece danificado.
media-not-text = Esse arquivo não é um texto que eu consiga ler (leio arquivos de texto UTF-8).
media-empty-file = Esse arquivo está vazio.
media-text-too-long = Esse arquivo de texto é longo demais para mim ({ $chars } caracteres; no máximo { $limit }).
media-text-too-long-unknown = Esse arquivo de texto é longo demais para mim.
media-file-unavailable = O Telegram não me entregou esse arquivo. Envie de novo, por favor.
media-download-failed = Não consegui baixar esse arquivo do Telegram. Tente de novo daqui a pouco.
media-timeout = Buscar esse arquivo demorou demais. Tente de novo.
