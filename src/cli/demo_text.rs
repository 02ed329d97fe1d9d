//! The words of the demo tickets, in English and Spanish: per category, many subjects and
//! problem sentences, written in different shapes (a statement, a question, a request, a
//! complaint) with synonyms, put together with openers, details and closings shared by all
//! categories. A ticket is a few picks from these pools, so 100,000 tickets cost nothing more
//! than the string copies, and no two categories share a template a model could learn instead
//! of the words.

use rand::Rng;
use rand::seq::SliceRandom;

/// One category's pools in one language.
pub struct Pool {
    pub subjects: &'static [&'static str],
    pub sentences: &'static [&'static str],
}

/// (category name, English pool, Spanish pool), for the demo's nine categories.
pub const CATEGORIES: &[(&str, Pool, Pool)] = &[
    (
        "Printers",
        Pool {
            subjects: &[
                "Printer on floor {n} is offline",
                "Paper jam in the copier, room {n}",
                "Cannot print anything",
                "Printing comes out blank",
                "Toner empty on the {n}th floor printer",
                "Scanner saves blank pages",
                "Print jobs stuck in the queue",
                "Need the printer driver installed",
                "Copier shows error code E{n}",
                "Prints are streaky and faded",
                "Scan to email not working",
                "Printer asks for a PIN I don't have",
            ],
            sentences: &[
                "The printer next to the kitchen on floor {n} shows 'offline' and nothing prints.",
                "The big copier in room {n} has a paper jam I can't clear; tray 2 is blocked.",
                "My documents go to the print queue and just sit there.",
                "Every page I print comes out with grey stripes.",
                "The toner cartridge is empty and there is no spare in the cupboard.",
                "When I scan a contract the PDF that arrives is completely blank.",
                "Could you add the colour printer on floor {n} to my laptop?",
                "The multifunction device keeps saying 'paper jam' but there is no paper inside.",
                "Nobody on our floor can print since the printer was moved.",
                "Scanning to my email address fails with 'SMTP error'.",
                "The printer prints double-sided even when I choose single pages.",
                "Is there a way to print labels on the office printer?",
            ],
        },
        Pool {
            subjects: &[
                "La impresora de la planta {n} no imprime",
                "Atasco de papel en la fotocopiadora",
                "No puedo imprimir",
                "Las hojas salen en blanco",
                "Falta tóner en la impresora",
                "El escáner envía páginas vacías",
                "Trabajos de impresión atascados en la cola",
                "Instalar el controlador de la impresora",
                "La fotocopiadora muestra un error",
                "La impresión sale con rayas",
                "No funciona escanear al correo",
            ],
            sentences: &[
                "La impresora de la planta {n} aparece como desconectada y no sale nada.",
                "La fotocopiadora de la sala {n} tiene un atasco de papel que no consigo quitar.",
                "Mando los documentos a imprimir y se quedan en la cola.",
                "Todas las páginas salen con rayas grises.",
                "Se ha acabado el tóner y no hay cartuchos de repuesto.",
                "Cuando escaneo un contrato el PDF llega completamente en blanco.",
                "¿Podéis añadir la impresora a color de la planta {n} a mi portátil?",
                "La multifunción dice 'atasco de papel' pero no hay ningún papel dentro.",
                "Nadie en nuestra planta puede imprimir desde que movieron la impresora.",
                "Al escanear a mi correo da un error y no llega nada.",
                "La impresora imprime a doble cara aunque elijo una sola.",
            ],
        },
    ),
    (
        "Email",
        Pool {
            subjects: &[
                "Outlook does not open",
                "Emails to a client bounce",
                "Calendar invites not showing",
                "Mailbox is full",
                "Not receiving any email",
                "Shared mailbox missing in Outlook",
                "Out-of-office reply not working",
                "Email signature disappeared",
                "Attachments blocked in my inbox",
                "Too much spam in my inbox",
                "Cannot send mail from my phone",
                "Meeting room booking fails in the calendar",
            ],
            sentences: &[
                "Outlook hangs on 'Loading profile' since the update this morning.",
                "Every email I send to our client comes back with 'mailbox unavailable'.",
                "Meeting invitations from the team no longer show up in my calendar.",
                "I get a warning that my mailbox is over its size limit and I can't send.",
                "Since yesterday afternoon no new mail arrives in my inbox.",
                "The sales shared mailbox vanished from my Outlook folder list.",
                "I set my automatic reply for the holidays but people don't get it.",
                "My email signature with the logo is gone after the update.",
                "Messages with zip attachments are stuck in quarantine.",
                "I receive dozens of phishing mails a day, can the filter be stricter?",
                "The mail app on my phone says the password is wrong for my work account.",
                "When I invite the meeting room to an appointment it declines automatically.",
            ],
        },
        Pool {
            subjects: &[
                "Outlook no abre",
                "Los correos a un cliente rebotan",
                "No veo las invitaciones del calendario",
                "Buzón lleno",
                "No me llegan correos",
                "Falta el buzón compartido",
                "La respuesta automática no funciona",
                "Se ha borrado mi firma de correo",
                "Adjuntos bloqueados",
                "Recibo mucho correo basura",
                "No puedo enviar correo desde el móvil",
            ],
            sentences: &[
                "Outlook se queda en 'Cargando perfil' desde la actualización de esta mañana.",
                "Todos los correos que envío a nuestro cliente vuelven con 'buzón no disponible'.",
                "Las convocatorias de reunión del equipo ya no aparecen en mi calendario.",
                "Me avisa de que el buzón supera el límite y no puedo enviar mensajes.",
                "Desde ayer por la tarde no entra ningún mensaje nuevo en la bandeja de entrada.",
                "El buzón compartido de ventas ha desaparecido de mis carpetas de Outlook.",
                "He activado la respuesta automática de vacaciones pero nadie la recibe.",
                "Mi firma del correo con el logotipo ha desaparecido.",
                "Los mensajes con archivos adjuntos comprimidos se quedan en cuarentena.",
                "Recibo muchos correos de phishing al día, ¿se puede endurecer el filtro?",
                "La aplicación de correo del móvil dice que la contraseña no es correcta.",
            ],
        },
    ),
    (
        "Phones",
        Pool {
            subjects: &[
                "Desk phone has no dial tone",
                "Voicemail PIN forgotten",
                "Calls drop after a minute",
                "Need a mobile phone for work",
                "Phone extension {n} rings nowhere",
                "Call forwarding to my mobile",
                "Softphone cannot register",
                "Company mobile screen cracked",
                "Echo on every call",
                "Conference phone in room {n} dead",
            ],
            sentences: &[
                "My desk phone (ext. 2{n}) shows 'No service' and has no dial tone.",
                "I forgot the PIN of my voicemail and cannot listen to my messages.",
                "Incoming calls cut off after about a minute.",
                "I'm starting field visits and need a company mobile with a SIM card.",
                "Customers say my extension rings but my handset stays silent.",
                "Could you forward my office number to my mobile while I travel?",
                "The softphone app says 'registration failed' when I log in.",
                "I dropped my work mobile and the screen is shattered.",
                "People hear an echo of their own voice when they call me.",
                "The conference phone in meeting room {n} doesn't turn on.",
                "The headset of my desk phone crackles during calls.",
            ],
        },
        Pool {
            subjects: &[
                "El teléfono fijo no da tono",
                "He olvidado el PIN del buzón de voz",
                "Las llamadas se cortan",
                "Necesito un móvil de empresa",
                "La extensión no suena",
                "Desviar las llamadas al móvil",
                "El teléfono de la sala de reuniones no funciona",
                "Pantalla rota del móvil de empresa",
                "Se oye eco en las llamadas",
            ],
            sentences: &[
                "El teléfono de mi mesa (ext. 2{n}) dice 'Sin servicio' y no da tono.",
                "No recuerdo el PIN del buzón de voz y no puedo escuchar los mensajes.",
                "Las llamadas entrantes se cortan al minuto más o menos.",
                "Empiezo a hacer visitas a clientes y necesito un móvil con tarjeta SIM.",
                "Los clientes dicen que mi extensión suena pero mi teléfono no hace nada.",
                "¿Podéis desviar mi número de la oficina al móvil mientras estoy de viaje?",
                "Se me cayó el móvil de empresa y la pantalla está rota.",
                "La gente oye eco de su propia voz cuando me llama.",
                "El teléfono de conferencias de la sala {n} no se enciende.",
                "El auricular del teléfono fijo hace ruido durante las llamadas.",
            ],
        },
    ),
    (
        "New hires & leavers",
        Pool {
            subjects: &[
                "New laptop for {name}",
                "Account for new employee {name}",
                "Onboarding: {name} starts Monday",
                "{name} is leaving the company",
                "Disable accounts of {name}",
                "Equipment for a new intern",
                "Last working day of {name}",
                "Set up a workstation for the new hire",
                "Offboarding checklist for {name}",
            ],
            sentences: &[
                "{name} starts on Monday in accounting and needs a laptop with Office and the finance app.",
                "Please create email and Windows accounts for {name}, starting next week in sales.",
                "We have a new colleague joining the marketing team on the 1st; they need a desk, a phone and a login.",
                "{name} leaves us on Friday; please block the accounts and collect the laptop.",
                "Our intern arrives next week and will need a computer and access to the team folder.",
                "Could you forward the mail of {name}, who left last month, to their manager?",
                "A new hire in the warehouse needs a badge and a user account.",
                "Please prepare the usual equipment for {name}: laptop, headset, docking station.",
                "When {name} leaves, the files in their home folder should go to the team share.",
            ],
        },
        Pool {
            subjects: &[
                "Portátil para {name}, nueva incorporación",
                "Cuenta para el nuevo empleado {name}",
                "Alta de {name} el lunes",
                "Baja de {name}",
                "Desactivar las cuentas de {name}",
                "Equipo para un becario",
                "Último día de {name}",
                "Preparar el puesto de trabajo de una nueva incorporación",
            ],
            sentences: &[
                "{name} empieza el lunes en contabilidad y necesita un portátil con Office y la aplicación de finanzas.",
                "Por favor, cread la cuenta de correo y de Windows para {name}, que se incorpora la semana que viene en ventas.",
                "Se incorpora una compañera al equipo de marketing el día 1; necesita mesa, teléfono y usuario.",
                "{name} deja la empresa el viernes; hay que bloquear sus cuentas y recoger el portátil.",
                "Nuestro becario llega la semana que viene y necesitará un ordenador y acceso a la carpeta del equipo.",
                "¿Podéis redirigir el correo de {name}, que se fue el mes pasado, a su responsable?",
                "Una nueva persona en el almacén necesita tarjeta de acceso y cuenta de usuario.",
                "Cuando {name} se vaya, sus archivos personales deben pasar a la carpeta del equipo.",
            ],
        },
    ),
    (
        "Network & Wi-Fi",
        Pool {
            subjects: &[
                "No Wi-Fi in meeting room {n}",
                "VPN keeps disconnecting",
                "Very slow network on floor {n}",
                "Internet is down",
                "Cannot connect to the VPN from home",
                "Wireless drops every few minutes",
                "Network cable port dead at my desk",
                "Guest Wi-Fi password",
                "Shared drive unreachable over VPN",
                "Websites do not load",
            ],
            sentences: &[
                "Since this morning nobody in meeting room {n} can connect to the office Wi-Fi.",
                "When I work from home the VPN drops every 10 minutes and I lose my remote session.",
                "File shares take ages to open on floor {n}; a speed test shows 2 Mbps.",
                "The whole office has no internet connection right now.",
                "The VPN client says 'connection timed out' on my home network.",
                "My laptop sees the wireless network but says 'no internet, secured'.",
                "The network socket under my desk doesn't work; the cable light stays off.",
                "We have visitors tomorrow, what is the guest wireless password?",
                "Over the VPN I can't reach the shared drives, only the internet.",
                "Pages load forever in the browser while the Wi-Fi shows full bars.",
            ],
        },
        Pool {
            subjects: &[
                "No hay wifi en la sala de reuniones {n}",
                "La VPN se desconecta",
                "Red muy lenta en la planta {n}",
                "No hay internet",
                "No puedo conectar a la VPN desde casa",
                "El wifi se cae cada pocos minutos",
                "La toma de red de mi mesa no funciona",
                "Contraseña del wifi de invitados",
                "No accedo a la unidad compartida por VPN",
                "Las páginas web no cargan",
            ],
            sentences: &[
                "Desde esta mañana nadie en la sala {n} puede conectarse al wifi de la oficina.",
                "Cuando trabajo desde casa la VPN se corta cada 10 minutos y pierdo la sesión remota.",
                "Las carpetas compartidas tardan muchísimo en abrir en la planta {n}; la conexión va a 2 Mbps.",
                "Toda la oficina está sin conexión a internet ahora mismo.",
                "El cliente de VPN dice 'tiempo de espera agotado' en la red de mi casa.",
                "El portátil ve la red inalámbrica pero dice 'sin internet, protegida'.",
                "La toma de red debajo de mi mesa no va; la luz del cable no se enciende.",
                "Mañana tenemos visitas, ¿cuál es la contraseña del wifi de invitados?",
                "Por la VPN no llego a las unidades de red, solo a internet.",
                "Las páginas tardan una eternidad en cargar aunque el wifi tiene cobertura completa.",
            ],
        },
    ),
    (
        "Accounts & access",
        Pool {
            subjects: &[
                "Locked out of my account",
                "Password reset for the CRM",
                "Need access to the shared drive \"Projects\"",
                "Password expired",
                "Two-factor code not arriving",
                "Permission denied on the finance folder",
                "Cannot log in to Windows",
                "Access to the HR system",
                "Add me to the team's distribution list",
                "Account disabled by mistake",
            ],
            sentences: &[
                "I typed my password wrong too many times and now Windows says my account is locked.",
                "I forgot my CRM password and the reset link never arrives.",
                "Could I get read and write access to the Projects share? My manager approved it.",
                "My password expired over the weekend and the change screen gives an error.",
                "The authentication code is not sent to my phone, so I cannot sign in.",
                "Opening the finance folder says 'access denied' although I worked in it last week.",
                "The login screen says my user name or password is incorrect, but it is right.",
                "I need permissions in the HR system to approve holiday requests.",
                "Please give me rights to edit the team's SharePoint site.",
                "My user account was deactivated by mistake after my leave.",
            ],
        },
        Pool {
            subjects: &[
                "Cuenta bloqueada",
                "Restablecer la contraseña del CRM",
                "Acceso a la carpeta compartida \"Proyectos\"",
                "Mi contraseña ha caducado",
                "No llega el código de verificación",
                "Permiso denegado en la carpeta de finanzas",
                "No puedo iniciar sesión en Windows",
                "Acceso al programa de recursos humanos",
                "Usuario desactivado por error",
            ],
            sentences: &[
                "Me equivoqué con la contraseña demasiadas veces y ahora Windows dice que mi cuenta está bloqueada.",
                "He olvidado la contraseña del CRM y el enlace para restablecerla nunca llega.",
                "¿Me podéis dar permiso de lectura y escritura en la carpeta Proyectos? Mi jefe lo ha aprobado.",
                "Mi contraseña caducó el fin de semana y la pantalla para cambiarla da error.",
                "No me llega el código de autenticación al móvil y no puedo entrar.",
                "Al abrir la carpeta de finanzas dice 'acceso denegado' aunque la usaba la semana pasada.",
                "La pantalla de inicio dice que el usuario o la contraseña no son correctos, pero lo son.",
                "Necesito permisos en el sistema de recursos humanos para aprobar las vacaciones.",
                "Mi usuario se desactivó por error después de mi baja.",
            ],
        },
    ),
    (
        "Hardware",
        Pool {
            subjects: &[
                "Headset broken",
                "Second monitor flickers",
                "Laptop battery drains fast",
                "Keyboard missing keys",
                "Projector in room {n} shows no signal",
                "Laptop does not turn on",
                "Docking station not detected",
                "Mouse stopped working",
                "Computer is very loud and hot",
                "Screen cracked",
                "USB ports dead",
            ],
            sentences: &[
                "The left side of my headset stopped working; can I get a replacement?",
                "My second monitor flickers every few seconds; I tried another cable.",
                "My laptop battery goes from full to empty in about an hour.",
                "Two keys came off my keyboard. Could I get a new one?",
                "The projector in room {n} says 'no signal' with every laptop we try.",
                "My laptop won't power on, not even with the charger plugged in.",
                "The docking station doesn't detect the screens anymore.",
                "The wireless mouse doesn't react even with new batteries.",
                "The fan of my desktop computer is very noisy and the case gets hot.",
                "The display of my notebook has a crack across the corner.",
                "None of the USB ports on my PC recognise my memory stick.",
            ],
        },
        Pool {
            subjects: &[
                "Auriculares rotos",
                "El segundo monitor parpadea",
                "La batería del portátil dura poco",
                "Al teclado le faltan teclas",
                "El proyector de la sala {n} no da señal",
                "El portátil no enciende",
                "La base de conexión no funciona",
                "El ratón ha dejado de funcionar",
                "El ordenador hace mucho ruido",
                "Pantalla rajada",
            ],
            sentences: &[
                "El lado izquierdo de mis cascos ha dejado de oírse; ¿me podéis dar otros?",
                "Mi segundo monitor parpadea cada pocos segundos; ya probé con otro cable.",
                "La batería del portátil se gasta entera en una hora.",
                "Se han soltado dos teclas del teclado. ¿Me podéis dar uno nuevo?",
                "El proyector de la sala {n} dice 'sin señal' con cualquier portátil.",
                "Mi portátil no arranca, ni siquiera enchufado al cargador.",
                "La base de conexión ya no detecta las pantallas.",
                "El ratón inalámbrico no responde aunque le he puesto pilas nuevas.",
                "El ventilador del ordenador hace mucho ruido y la caja se calienta.",
                "La pantalla del portátil tiene una grieta en la esquina.",
            ],
        },
    ),
    (
        "Software",
        Pool {
            subjects: &[
                "Excel crashes when opening large files",
                "Install Adobe Reader",
                "Teams camera not working",
                "Need a licence for Visio",
                "Application update fails",
                "Word freezes when saving",
                "The finance app shows an error",
                "Browser keeps crashing",
                "Install Python for a project",
                "Zoom has no sound",
                "Program asks for activation",
            ],
            sentences: &[
                "Excel closes without a message when I open the monthly report (40 MB).",
                "I need a PDF reader to sign contracts. Can you install one?",
                "Nobody can see me in Teams calls; the camera light stays off.",
                "Could I get a licence for Visio to draw the process diagrams?",
                "The software update stops at 80% with error 0x80070005.",
                "Word freezes every time I save a document to the shared drive.",
                "The accounting application shows 'runtime error' when I open an invoice.",
                "Chrome crashes as soon as I open more than a few tabs.",
                "For a data project I need Python and a code editor installed.",
                "In video calls the others can't hear me, although the microphone works elsewhere.",
                "PowerPoint says my product is not activated and blocks editing.",
            ],
        },
        Pool {
            subjects: &[
                "Excel se cierra al abrir archivos grandes",
                "Instalar Adobe Reader",
                "La cámara no funciona en Teams",
                "Necesito una licencia de Visio",
                "Falla la actualización del programa",
                "Word se bloquea al guardar",
                "Error en la aplicación de contabilidad",
                "El navegador se cierra solo",
                "Instalar un programa para un proyecto",
                "No se oye en las videollamadas",
            ],
            sentences: &[
                "Excel se cierra sin mensaje cuando abro el informe mensual (40 MB).",
                "Necesito un lector de PDF para firmar contratos. ¿Me lo podéis instalar?",
                "Nadie me ve en las llamadas de Teams; la luz de la cámara no se enciende.",
                "¿Me podéis conseguir una licencia de Visio para dibujar diagramas?",
                "La actualización del programa se para al 80% con un error.",
                "Word se queda colgado cada vez que guardo un documento en la unidad compartida.",
                "La aplicación de contabilidad da un 'error de ejecución' al abrir una factura.",
                "Chrome se cierra en cuanto abro varias pestañas.",
                "Para un proyecto de datos necesito que me instaléis Python y un editor.",
                "En las videollamadas los demás no me oyen, aunque el micrófono funciona en otras aplicaciones.",
            ],
        },
    ),
    (
        "General",
        Pool {
            subjects: &[
                "Request: ergonomic mouse",
                "Question about backups",
                "Where do I find the IT policy?",
                "Training on the new tools",
                "Moving desks next week",
                "Who do I ask about software purchases?",
                "Question about working from abroad",
                "Suggestion for the help desk",
            ],
            sentences: &[
                "Could I get a vertical mouse? My wrist hurts after long days.",
                "Are the files on my desktop backed up, or only the ones on the shared drive?",
                "Where can I read the rules for using personal devices at work?",
                "Is there a training session planned for the new collaboration tools?",
                "Our team moves to the third floor next week; what do we need to do about our equipment?",
                "What is the process for buying a piece of software for our department?",
                "I will work from another country for two weeks; is that allowed with my laptop?",
                "Just an idea: a short guide for new colleagues would help a lot.",
            ],
        },
        Pool {
            subjects: &[
                "Solicitud: ratón ergonómico",
                "Pregunta sobre las copias de seguridad",
                "¿Dónde está la política de informática?",
                "Formación sobre las nuevas herramientas",
                "Cambio de puesto la semana que viene",
                "¿A quién pregunto por compras de programas?",
                "Consulta sobre trabajar desde el extranjero",
            ],
            sentences: &[
                "¿Podría tener un ratón vertical? Me duele la muñeca después de muchas horas.",
                "¿Se hace copia de seguridad de los archivos del escritorio o solo de la unidad compartida?",
                "¿Dónde puedo leer las normas para usar dispositivos personales en el trabajo?",
                "¿Hay prevista alguna formación sobre las nuevas herramientas de colaboración?",
                "Nuestro equipo se muda a la tercera planta la semana que viene; ¿qué hacemos con los equipos?",
                "¿Cuál es el proceso para comprar un programa para nuestro departamento?",
                "Voy a trabajar desde otro país dos semanas; ¿puedo llevarme el portátil?",
            ],
        },
    ),
];

const OPENERS_EN: &[&str] = &[
    "",
    "",
    "Hi, ",
    "Hello IT, ",
    "Good morning, ",
    "Hi team, ",
    "Sorry to bother you, ",
];
const DETAILS_EN: &[&str] = &[
    "",
    "",
    " It started this morning.",
    " A colleague has the same problem.",
    " I already restarted my computer.",
    " It has happened a few times this week.",
    " This is blocking my work today.",
    " I'm in the office until five.",
];
const CLOSINGS_EN: &[&str] = &[
    "",
    "",
    " Thanks!",
    " Thanks in advance.",
    " Could someone have a look?",
    " Best regards.",
];
const OPENERS_ES: &[&str] = &[
    "",
    "",
    "Hola, ",
    "Buenos días, ",
    "Hola equipo, ",
    "Perdonad la molestia, ",
];
const DETAILS_ES: &[&str] = &[
    "",
    "",
    " Empezó esta mañana.",
    " A un compañero le pasa lo mismo.",
    " Ya he reiniciado el ordenador.",
    " Me ha pasado varias veces esta semana.",
    " Me impide trabajar hoy.",
    " Estoy en la oficina hasta las cinco.",
];
const CLOSINGS_ES: &[&str] = &[
    "",
    "",
    " ¡Gracias!",
    " Gracias de antemano.",
    " ¿Alguien puede echarle un vistazo?",
    " Un saludo.",
];

/// Staff replies in each language.
pub const STAFF_REPLIES_ES: &[&str] = &[
    "Gracias por avisar. Me pongo con ello y te cuento enseguida.",
    "¿Puedes enviarnos una foto del mensaje de error? Nos ayudará mucho.",
    "He reiniciado el equipo en remoto. ¿Puedes probar otra vez?",
    "Ya está solucionado. Avísanos si vuelve a pasar.",
    "Hemos pedido un repuesto; llegará en dos días.",
];
pub const REQUESTER_REPLIES_ES: &[&str] = &[
    "¡Gracias, ya funciona!",
    "Sigue igual, por desgracia.",
    "Aquí tienes la foto que pediste.",
    "Perfecto, gracias por la ayuda.",
];

/// A ticket: (category name, subject, first message, Spanish?), about one in three in Spanish.
pub fn ticket(rng: &mut impl Rng, n: &str, name: &str) -> (&'static str, String, String, bool) {
    let i = rng.gen_range(0..CATEGORIES.len());
    let (category, en, es) = &CATEGORIES[i];
    let spanish = rng.gen_bool(0.35);
    let (pool, openers, details, closings) = if spanish {
        (es, OPENERS_ES, DETAILS_ES, CLOSINGS_ES)
    } else {
        (en, OPENERS_EN, DETAILS_EN, CLOSINGS_EN)
    };
    let pick = |rng: &mut dyn rand::RngCore, list: &[&'static str]| -> &'static str {
        list.choose(rng).copied().unwrap_or("")
    };
    let subject = pick(rng, pool.subjects);
    let first = pick(rng, pool.sentences);
    let mut body = String::with_capacity(256);
    body.push_str(pick(rng, openers));
    body.push_str(first);
    // Now and then a second sentence about the same thing, in other words.
    if rng.gen_bool(0.3) {
        let second = pick(rng, pool.sentences);
        if second != first {
            body.push(' ');
            body.push_str(second);
        }
    }
    body.push_str(pick(rng, details));
    body.push_str(pick(rng, closings));
    let fill = |s: &str| s.replace("{n}", n).replace("{name}", name);
    (category, fill(subject), fill(&body), spanish)
}
