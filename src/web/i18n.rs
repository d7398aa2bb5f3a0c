//! The portal's words in French and English.
//!
//! One struct of strings per language rather than a key lookup: a label missing in one language
//! is a compile error, not a blank on the page. The validation messages come from
//! `booking::validate` (they are shared with the API); everything else a page says is here.

use crate::booking::Lang;

/// Every fixed text of the portal, in one language.
#[derive(Debug)]
pub struct Strings {
    /// Name of the language in itself (the language switch).
    pub language_name: &'static str,
    /// Site name in the header.
    pub site_name: &'static str,
    /// Link to the list.
    pub nav_conferences: &'static str,
    /// Link to the form.
    pub nav_new: &'static str,
    /// The one-click button.
    pub nav_instant: &'static str,
    /// Log-out button.
    pub logout: &'static str,
    /// "Signed in as" before the user's name.
    pub signed_in_as: &'static str,

    /// Login page title.
    pub login_title: &'static str,
    /// Login name field.
    pub login_name: &'static str,
    /// Password field.
    pub login_password: &'static str,
    /// Login button.
    pub login_button: &'static str,
    /// Wrong name or password.
    pub login_failed: &'static str,
    /// Rate limited.
    pub login_refused: &'static str,

    /// 403 page title.
    pub forbidden_title: &'static str,
    /// 403 page text.
    pub forbidden_text: &'static str,
    /// 404 page title.
    pub not_found_title: &'static str,
    /// 404 page text.
    pub not_found_text: &'static str,
    /// Link back to the list.
    pub back_to_list: &'static str,

    /// List page title.
    pub list_title: &'static str,
    /// Upcoming section.
    pub upcoming: &'static str,
    /// Past section.
    pub past: &'static str,
    /// Nothing upcoming.
    pub none_upcoming: &'static str,
    /// Nothing past.
    pub none_past: &'static str,
    /// Column: title.
    pub col_title: &'static str,
    /// Column: start.
    pub col_start: &'static str,
    /// Column: duration.
    pub col_duration: &'static str,
    /// Column: number.
    pub col_number: &'static str,
    /// Column: organiser.
    pub col_owner: &'static str,
    /// Column: status.
    pub col_status: &'static str,
    /// Status: cancelled.
    pub status_cancelled: &'static str,
    /// Status: live.
    pub status_booked: &'static str,
    /// "dates" after an occurrence count.
    pub dates: &'static str,
    /// Owner unknown (CLI booking).
    pub no_owner: &'static str,

    /// New form title.
    pub form_new_title: &'static str,
    /// Edit form title.
    pub form_edit_title: &'static str,
    /// Shown above a form with errors.
    pub form_has_errors: &'static str,
    /// Legend of the "what" group.
    pub legend_what: &'static str,
    /// Legend of the "when" group.
    pub legend_when: &'static str,
    /// Legend of the "who" group.
    pub legend_who: &'static str,
    /// Title field.
    pub f_title: &'static str,
    /// Title hint.
    pub f_title_hint: &'static str,
    /// Access code field.
    pub f_access_code: &'static str,
    /// Access code hint.
    pub f_access_code_hint: &'static str,
    /// Start date field.
    pub f_start_date: &'static str,
    /// Start time field.
    pub f_start_time: &'static str,
    /// Start hint.
    pub f_start_hint: &'static str,
    /// Time zone field.
    pub f_time_zone: &'static str,
    /// Duration field.
    pub f_duration: &'static str,
    /// Kind group.
    pub f_kind: &'static str,
    /// Audio only.
    pub kind_audio: &'static str,
    /// Audio and video.
    pub kind_video: &'static str,
    /// Video layout field.
    pub f_layout: &'static str,
    /// Video layout hint.
    pub f_layout_hint: &'static str,
    /// The layout choice that leaves it to the bridge.
    pub layout_default: &'static str,
    /// Capacity field.
    pub f_capacity: &'static str,
    /// Capacity hint.
    pub f_capacity_hint: &'static str,
    /// Comment field.
    pub f_comment: &'static str,
    /// Comment hint.
    pub f_comment_hint: &'static str,
    /// Recipients field.
    pub f_recipients: &'static str,
    /// Recipients hint.
    pub f_recipients_hint: &'static str,
    /// Recurrence group.
    pub f_recurrence: &'static str,
    /// Recurrence hint.
    pub f_recurrence_hint: &'static str,
    /// Recurrence last day.
    pub f_until: &'static str,
    /// Weekday names, Monday first.
    pub weekdays: [&'static str; 7],
    /// Create button.
    pub submit_create: &'static str,
    /// Update button.
    pub submit_update: &'static str,
    /// Overlap warning title.
    pub overlap_title: &'static str,
    /// Overlap warning text.
    pub overlap_text: &'static str,
    /// Overlap confirmation checkbox.
    pub confirm_overlap: &'static str,
    /// No number free.
    pub no_number: &'static str,

    /// Sheet page title.
    pub sheet_title: &'static str,
    /// Sheet: join by video system.
    pub sheet_video_systems: &'static str,
    /// Sheet: SIP URI.
    pub s_sip: &'static str,
    /// Sheet: SIP URI with the code.
    pub s_sip_direct: &'static str,
    /// Sheet: H.323.
    pub s_h323: &'static str,
    /// Sheet: join by phone.
    pub sheet_phone: &'static str,
    /// Sheet: phone numbers.
    pub s_phone: &'static str,
    /// Sheet: GDS.
    pub s_gds: &'static str,
    /// Sheet: conference number.
    pub s_number: &'static str,
    /// Sheet: access code.
    pub s_access_code: &'static str,
    /// "(end with #)".
    pub end_with_hash: &'static str,
    /// Sheet: the conference.
    pub sheet_conference: &'static str,
    /// Sheet: start.
    pub s_start: &'static str,
    /// Sheet: duration.
    pub s_duration: &'static str,
    /// Sheet: capacity.
    pub s_capacity: &'static str,
    /// Sheet: kind.
    pub s_kind: &'static str,
    /// Sheet: video layout.
    pub s_layout: &'static str,
    /// Sheet: comment.
    pub s_comment: &'static str,
    /// Sheet: dates of a recurring booking.
    pub s_dates: &'static str,
    /// Sheet: modification link.
    pub s_modify_url: &'static str,
    /// Sheet: modification link warning.
    pub s_modify_hint: &'static str,
    /// Sheet: recipients.
    pub s_recipients: &'static str,
    /// Sheet: text to copy.
    pub s_text: &'static str,
    /// Sheet: text hint.
    pub s_text_hint: &'static str,
    /// Sheet: .ics link.
    pub s_ics: &'static str,
    /// Modify action.
    pub modify: &'static str,
    /// Cancel action.
    pub cancel: &'static str,
    /// Cancel confirmation checkbox.
    pub cancel_confirm: &'static str,
    /// Banner of a cancelled booking.
    pub cancelled_banner: &'static str,
    /// Intro of the private-link page.
    pub token_intro: &'static str,
    /// Title of the modification part of the private-link page.
    pub token_edit_title: &'static str,
}

/// English.
pub static EN: Strings = Strings {
    language_name: "English",
    site_name: "Pont — conference booking",
    nav_conferences: "My conferences",
    nav_new: "Plan a conference",
    nav_instant: "Instant conference",
    logout: "Log out",
    signed_in_as: "Signed in as",

    login_title: "Sign in",
    login_name: "Name",
    login_password: "Password",
    login_button: "Sign in",
    login_failed: "Wrong name or password.",
    login_refused: "Too many failed attempts. Try again in 15 minutes.",

    forbidden_title: "Form expired",
    forbidden_text: "This form has expired or did not come from this site. Go back, reload the page and try again.",
    not_found_title: "Not found",
    not_found_text: "There is no such page or conference.",
    back_to_list: "Back to my conferences",

    list_title: "My conferences",
    upcoming: "Upcoming",
    past: "Past and cancelled",
    none_upcoming: "No upcoming conference.",
    none_past: "No past conference.",
    col_title: "Title",
    col_start: "Start",
    col_duration: "Duration",
    col_number: "Number",
    col_owner: "Organiser",
    col_status: "Status",
    status_cancelled: "Cancelled",
    status_booked: "Booked",
    dates: "dates",
    no_owner: "(command line)",

    form_new_title: "Plan a conference",
    form_edit_title: "Modify the conference",
    form_has_errors: "The conference was not saved. Please correct the fields marked below.",
    legend_what: "Conference",
    legend_when: "Date and time",
    legend_who: "Participants",
    f_title: "Title",
    f_title_hint: "1 to 24 letters, digits or spaces.",
    f_access_code: "Access code",
    f_access_code_hint: "4 digits (1000–9999). Leave empty to have one generated.",
    f_start_date: "Date",
    f_start_time: "Start time",
    f_start_hint: "Not in the past, at most 3 months ahead.",
    f_time_zone: "Time zone",
    f_duration: "Duration",
    f_kind: "Type",
    kind_audio: "Audio only",
    kind_video: "Audio and video",
    f_layout: "Video layout",
    f_layout_hint: "For audio and video conferences only. Participants can switch it with * during the conference.",
    layout_default: "Default (1 large + 5 small)",
    f_capacity: "Estimated connections",
    f_capacity_hint: "2 to 20. The bridge refuses connections beyond this number.",
    f_comment: "Comment",
    f_comment_hint: "Optional, at most 500 characters. Printed on the connection sheet.",
    f_recipients: "Recipients",
    f_recipients_hint: "One e-mail address per line (at most 20). Each receives the connection details and a calendar invitation.",
    f_recurrence: "Repeat every week",
    f_recurrence_hint: "Optional: one conference on each chosen day, from the date above to the last day.",
    f_until: "Last day",
    weekdays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    submit_create: "Book the conference",
    submit_update: "Save the changes",
    overlap_title: "You already have conferences at these times",
    overlap_text: "This is only a warning: tick the box below and submit again to book anyway.",
    confirm_overlap: "I know, book it anyway",
    no_number: "No conference number is free at these times. Please choose other times.",

    sheet_title: "Connection details",
    sheet_video_systems: "From a video system or a SIP client",
    s_sip: "SIP address",
    s_sip_direct: "Direct SIP address (code included)",
    s_h323: "H.323",
    sheet_phone: "By phone",
    s_phone: "Phone number",
    s_gds: "GDS dial string",
    s_number: "Conference number",
    s_access_code: "Access code",
    end_with_hash: "(end with #)",
    sheet_conference: "Conference",
    s_start: "Start",
    s_duration: "Duration",
    s_capacity: "Connections",
    s_kind: "Type",
    s_layout: "Video layout",
    s_comment: "Comment",
    s_dates: "Dates",
    s_modify_url: "Modification link",
    s_modify_hint: "Anyone with this link can modify or cancel the conference: share it only with co-organisers.",
    s_recipients: "Recipients (invited by e-mail)",
    s_text: "Text to copy into an e-mail",
    s_text_hint: "Select the text below and paste it into your message.",
    s_ics: "Add to a calendar (.ics)",
    modify: "Modify",
    cancel: "Cancel the conference",
    cancel_confirm: "Yes, cancel it (the recipients are told)",
    cancelled_banner: "This conference was cancelled.",
    token_intro: "You opened this conference through its private modification link.",
    token_edit_title: "Modify this conference",
};

/// Français.
pub static FR: Strings = Strings {
    language_name: "Français",
    site_name: "Pont — réservation de conférences",
    nav_conferences: "Mes conférences",
    nav_new: "Planifier une conférence",
    nav_instant: "Conférence instantanée",
    logout: "Se déconnecter",
    signed_in_as: "Connecté en tant que",

    login_title: "Connexion",
    login_name: "Identifiant",
    login_password: "Mot de passe",
    login_button: "Se connecter",
    login_failed: "Identifiant ou mot de passe incorrect.",
    login_refused: "Trop d’essais infructueux. Réessayez dans 15 minutes.",

    forbidden_title: "Formulaire expiré",
    forbidden_text: "Ce formulaire a expiré ou ne vient pas de ce site. Revenez en arrière, rechargez la page et réessayez.",
    not_found_title: "Introuvable",
    not_found_text: "Cette page ou cette conférence n’existe pas.",
    back_to_list: "Retour à mes conférences",

    list_title: "Mes conférences",
    upcoming: "À venir",
    past: "Passées et annulées",
    none_upcoming: "Aucune conférence à venir.",
    none_past: "Aucune conférence passée.",
    col_title: "Titre",
    col_start: "Début",
    col_duration: "Durée",
    col_number: "Numéro",
    col_owner: "Organisateur",
    col_status: "État",
    status_cancelled: "Annulée",
    status_booked: "Réservée",
    dates: "dates",
    no_owner: "(ligne de commande)",

    form_new_title: "Planifier une conférence",
    form_edit_title: "Modifier la conférence",
    form_has_errors: "La conférence n’a pas été enregistrée. Corrigez les champs signalés ci-dessous.",
    legend_what: "Conférence",
    legend_when: "Date et heure",
    legend_who: "Participants",
    f_title: "Titre",
    f_title_hint: "1 à 24 lettres, chiffres ou espaces.",
    f_access_code: "Code d’accès",
    f_access_code_hint: "4 chiffres (1000–9999). Laissez vide pour qu’un code soit généré.",
    f_start_date: "Date",
    f_start_time: "Heure de début",
    f_start_hint: "Pas dans le passé, au plus 3 mois à l’avance.",
    f_time_zone: "Fuseau horaire",
    f_duration: "Durée",
    f_kind: "Type",
    kind_audio: "Audio seulement",
    kind_video: "Audio et vidéo",
    f_layout: "Disposition vidéo",
    f_layout_hint: "Pour les conférences audio et vidéo seulement. Les participants peuvent la changer avec * pendant la conférence.",
    layout_default: "Par défaut (1 grande + 5 petites)",
    f_capacity: "Nombre de connexions estimé",
    f_capacity_hint: "2 à 20. Au-delà, le pont refuse les connexions.",
    f_comment: "Commentaire",
    f_comment_hint: "Facultatif, 500 caractères au plus. Imprimé sur la fiche de connexion.",
    f_recipients: "Destinataires",
    f_recipients_hint: "Une adresse électronique par ligne (20 au plus). Chacun reçoit les informations de connexion et une invitation d’agenda.",
    f_recurrence: "Répéter chaque semaine",
    f_recurrence_hint: "Facultatif : une conférence chaque jour coché, de la date ci-dessus au dernier jour.",
    f_until: "Dernier jour",
    weekdays: ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"],
    submit_create: "Réserver la conférence",
    submit_update: "Enregistrer les modifications",
    overlap_title: "Vous avez déjà des conférences à ces horaires",
    overlap_text: "Ce n’est qu’un avertissement : cochez la case ci-dessous et validez à nouveau pour réserver quand même.",
    confirm_overlap: "Je sais, réserver quand même",
    no_number: "Aucun numéro de conférence n’est libre à ces horaires. Choisissez d’autres horaires.",

    sheet_title: "Informations de connexion",
    sheet_video_systems: "Depuis un système de visioconférence ou un client SIP",
    s_sip: "Adresse SIP",
    s_sip_direct: "Adresse SIP directe (code inclus)",
    s_h323: "H.323",
    sheet_phone: "Par téléphone",
    s_phone: "Numéro de téléphone",
    s_gds: "Numérotation GDS",
    s_number: "Numéro de conférence",
    s_access_code: "Code d’accès",
    end_with_hash: "(terminer par #)",
    sheet_conference: "Conférence",
    s_start: "Début",
    s_duration: "Durée",
    s_capacity: "Connexions",
    s_kind: "Type",
    s_layout: "Disposition vidéo",
    s_comment: "Commentaire",
    s_dates: "Dates",
    s_modify_url: "Lien de modification",
    s_modify_hint: "Toute personne disposant de ce lien peut modifier ou annuler la conférence : ne le partagez qu’avec les co-organisateurs.",
    s_recipients: "Destinataires (invités par courriel)",
    s_text: "Texte à copier dans un courriel",
    s_text_hint: "Sélectionnez le texte ci-dessous et collez-le dans votre message.",
    s_ics: "Ajouter à un agenda (.ics)",
    modify: "Modifier",
    cancel: "Annuler la conférence",
    cancel_confirm: "Oui, l’annuler (les destinataires sont prévenus)",
    cancelled_banner: "Cette conférence a été annulée.",
    token_intro: "Vous avez ouvert cette conférence par son lien privé de modification.",
    token_edit_title: "Modifier cette conférence",
};

/// The strings of `lang`.
pub fn t(lang: Lang) -> &'static Strings {
    match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_differ_where_they_should() {
        assert_eq!(t(Lang::En).login_button, "Sign in");
        assert_eq!(t(Lang::Fr).login_button, "Se connecter");
        assert_eq!(t(Lang::Fr).end_with_hash, "(terminer par #)");
        assert_eq!(t(Lang::En).weekdays[0], "Monday");
        assert_eq!(t(Lang::Fr).weekdays[6], "Dimanche");
    }
}
