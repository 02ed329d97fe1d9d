//! `helpdesk demo --articles M`: knowledge-base articles in English and Spanish, written with the
//! same queries the staff editor uses.

use rusqlite::params;

use crate::db::Db;
use crate::error::Result;
use crate::i18n::Lang;
use crate::kb::store::{self, ArticleInput};

/// (slug, category, English title, English body, Spanish title, Spanish body)
const ARTICLES: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "printer-offline",
        "Printing",
        "A printer shows “offline”",
        "Most “offline” printers only lost their network connection.\n\n1. Turn the printer off, wait ten seconds and turn it on again.\n2. Check that the **network cable** is plugged in, or that the Wi-Fi light is on.\n3. On your computer open *Settings → Printers*, select the printer and choose **Use printer online**.\n\nStill offline? Submit a request with the printer's room number.",
        "La impresora aparece «sin conexión»",
        "Casi siempre la impresora solo ha perdido la conexión de red.\n\n1. Apague la impresora, espere diez segundos y vuelva a encenderla.\n2. Compruebe que el **cable de red** está conectado o que la luz de Wi-Fi está encendida.\n3. En su equipo abra *Configuración → Impresoras*, elija la impresora y pulse **Usar impresora en línea**.\n\n¿Sigue sin conexión? Envíe una solicitud con el número de sala de la impresora.",
    ),
    (
        "paper-jam",
        "Printing",
        "Clear a paper jam in the copier",
        "1. Open the front door and pull the green levers.\n2. Remove the paper **slowly, in the direction it travels**, so it does not tear.\n3. Check tray 2 and the side door.\n4. Close every door; the copier restarts by itself.\n\nNever use scissors or pens inside the copier.",
        "Quitar un atasco de papel en la fotocopiadora",
        "1. Abra la puerta frontal y tire de las palancas verdes.\n2. Retire el papel **despacio y en el sentido en que avanza** para que no se rompa.\n3. Revise la bandeja 2 y la puerta lateral.\n4. Cierre todas las puertas; la fotocopiadora se reinicia sola.\n\nNo use nunca tijeras ni bolígrafos dentro de la fotocopiadora.",
    ),
    (
        "wifi-no-internet",
        "Network & Wi-Fi",
        "Connected to Wi-Fi but no internet",
        "1. Make sure you joined **Office**, not *Office-Guest*.\n2. Turn Wi-Fi off and on again on your device.\n3. Forget the network and join again with your usual password.\n4. Try another room: if it works there, tell us which room fails.",
        "Conectado al Wi-Fi pero sin internet",
        "1. Compruebe que se ha conectado a **Office** y no a *Office-Guest*.\n2. Desactive y vuelva a activar el Wi-Fi de su dispositivo.\n3. Olvide la red y vuelva a conectarse con su contraseña habitual.\n4. Pruebe en otra sala: si allí funciona, díganos qué sala falla.",
    ),
    (
        "vpn-setup",
        "Network & Wi-Fi",
        "Connect to the VPN from home",
        "1. Open the **VPN** app and sign in with your work account.\n2. Approve the sign-in on your phone.\n3. Keep the app open while you work.\n\nIf the VPN keeps disconnecting, plug your laptop into power and use a cable instead of Wi-Fi if you can.",
        "Conectarse a la VPN desde casa",
        "1. Abra la aplicación **VPN** e inicie sesión con su cuenta de trabajo.\n2. Apruebe el inicio de sesión en su teléfono.\n3. Mantenga la aplicación abierta mientras trabaja.\n\nSi la VPN se desconecta a menudo, conecte el portátil a la corriente y, si puede, use cable en lugar de Wi-Fi.",
    ),
    (
        "reset-password",
        "Accounts & passwords",
        "Reset your password",
        "Go to the self-service password page, enter your work email and follow the code sent to your phone.\n\nA good password has **at least 12 characters**. Never share it, not even with IT.",
        "Restablecer su contraseña",
        "Vaya a la página de autoservicio de contraseñas, escriba su correo de trabajo y siga el código que recibirá en el teléfono.\n\nUna buena contraseña tiene **al menos 12 caracteres**. No la comparta nunca, ni siquiera con informática.",
    ),
    (
        "account-locked",
        "Accounts & passwords",
        "My account is locked",
        "After five wrong passwords your account locks for **15 minutes**. Wait, then sign in again carefully (check Caps Lock).\n\nIf you forgot the password, reset it instead of guessing.",
        "Mi cuenta está bloqueada",
        "Tras cinco contraseñas incorrectas la cuenta se bloquea durante **15 minutos**. Espere y vuelva a iniciar sesión con cuidado (revise el Bloq Mayús).\n\nSi olvidó la contraseña, restablézcala en lugar de adivinarla.",
    ),
    (
        "shared-mailbox",
        "Email & calendar",
        "Open a shared mailbox",
        "Shared mailboxes appear in Outlook by themselves within an hour of being granted.\n\nIn the web version: click your picture, then **Open another mailbox**, and type the mailbox name.",
        "Abrir un buzón compartido",
        "Los buzones compartidos aparecen solos en Outlook una hora después de concederse el acceso.\n\nEn la versión web: haga clic en su foto, luego en **Abrir otro buzón** y escriba el nombre del buzón.",
    ),
    (
        "out-of-office",
        "Email & calendar",
        "Set an out-of-office reply",
        "In Outlook choose *File → Automatic replies*, write your message and set the dates. Mention who to contact while you are away.",
        "Configurar la respuesta automática de ausencia",
        "En Outlook elija *Archivo → Respuestas automáticas*, escriba el mensaje y fije las fechas. Indique a quién contactar mientras esté fuera.",
    ),
    (
        "monitor-no-signal",
        "Hardware",
        "The monitor says “no signal”",
        "1. Check both ends of the video cable.\n2. On a docking station, unplug the laptop and plug it in again.\n3. Press the monitor's **input** button until it shows your computer.",
        "El monitor indica «sin señal»",
        "1. Revise los dos extremos del cable de vídeo.\n2. Si usa una base de conexión, desconecte el portátil y vuelva a conectarlo.\n3. Pulse el botón **entrada** del monitor hasta que aparezca su equipo.",
    ),
    (
        "install-software",
        "Software",
        "Install approved software",
        "Open the **Software Center**, search for the program and click *Install*. Programs that are not listed need a request with the reason and your manager's approval.",
        "Instalar programas aprobados",
        "Abra el **Centro de software**, busque el programa y pulse *Instalar*. Los programas que no aparecen necesitan una solicitud con el motivo y la aprobación de su responsable.",
    ),
];

const PLACES: &[&str] = &[
    "Madrid office",
    "Berlin office",
    "warehouse",
    "reception",
    "floor 3",
];

pub fn run(db: &Db, count: u64) -> Result<u64> {
    if count == 0 {
        return Ok(0);
    }
    let staff_id: i64 = db.read_blocking(|c| {
        Ok(c.query_row("SELECT coalesce(min(id), 0) FROM staff", [], |r| r.get(0))?)
    })?;
    db.write_blocking(|c| {
        for (i, (_, cat, ..)) in ARTICLES.iter().enumerate() {
            store::create_category(c, cat, i as i64)?;
        }
        let mut written = 0;
        for i in 0..count {
            let (slug, cat, title_en, body_en, title_es, body_es) =
                ARTICLES[i as usize % ARTICLES.len()];
            let round = i as usize / ARTICLES.len();
            // After one of each, variants for particular places, as real desks accumulate.
            let (slug, suffix_en, suffix_es) = if round == 0 {
                (slug.to_string(), String::new(), String::new())
            } else {
                let place = PLACES[round % PLACES.len()];
                (
                    format!("{slug}-{round}"),
                    format!(" ({place})"),
                    format!(" ({place})"),
                )
            };
            if store::slug_taken(c, &slug, None)? {
                continue;
            }
            let category_id: Option<i64> = c
                .query_row(
                    "SELECT id FROM kb_categories WHERE name = ?1",
                    params![cat],
                    |r| r.get(0),
                )
                .ok();
            let state = match i % 10 {
                8 => "draft",
                9 => "internal",
                _ => "published",
            };
            let input = ArticleInput {
                slug,
                category_id,
                state: state.into(),
                sort: i as i64,
                translations: vec![
                    (
                        Lang::En,
                        format!("{title_en}{suffix_en}"),
                        body_en.to_string(),
                    ),
                    // Some articles are not translated yet: the pages fall back to English.
                    if i % 7 == 6 {
                        (Lang::Es, String::new(), String::new())
                    } else {
                        (
                            Lang::Es,
                            format!("{title_es}{suffix_es}"),
                            body_es.to_string(),
                        )
                    },
                ],
            };
            store::save(c, None, &input, staff_id)?;
            written += 1;
        }
        Ok(written)
    })
}
