"""Srpski (latinica)."""

STRINGS = {
    "title": "Tandem Support Manager",
    "confirm.heading": "Pridružite se sesiji podrške",
    "confirm.session": "Sesija {number}",
    "confirm.rep": "Operater: {name}",
    "confirm.server": "Sajt podrške: {host}",
    "confirm.explain": "Kada se pridružite, operater može da zatraži da vidi ili upravlja Vašim ekranom. "
                       "Ništa se ne deli dok to ne dozvolite, i možete da prekinete u svakom trenutku.",
    "confirm.checking": "Proveravamo sesiju…",
    "enter.heading": "Pridružite se sesiji podrške",
    "enter.intro": "Unesite broj sesije i kod za uparivanje sa stranice Vaše sesije.",
    "enter.number": "Broj sesije",
    "enter.code": "Kod za uparivanje",
    "enter.relay": "Adresa sajta podrške",
    "button.join": "Pridruži se",
    "button.cancel": "Otkaži",
    "button.retry": "Pokušaj ponovo",
    "button.leave": "Napusti sesiju",
    "button.close": "Zatvori",
    "joining": "Pridruživanje…",
    "joined.heading": "U sesiji ste",
    "joined.text": "Support Manager je povezan sa sesijom {number}. Operater pita pre nego što bilo šta vidi ili "
                   "upravlja. Ostavite ovaj prozor otvoren: ako ga zatvorite, Support Manager se isključuje.",
    "ended.text": "Support Manager je napustio sesiju.",
    "error.unreachable": "Nije moguće povezati se sa {host}. Proverite internet vezu i pokušajte ponovo.",
    "error.refused": "{host} nije prihvatio ovaj broj sesije i kod. Kod važi jednom i 10 minuta: "
                     "uzmite novi na stranici Vaše sesije.",
    "error.used": "Ovo preuzimanje je već iskorišćeno ili ga je zamenilo novije. Ponovo preuzmite Support "
                  "Manager sa stranice Vaše sesije ili unesite novi kod za uparivanje.",
    "error.expired": "Ovo preuzimanje je isteklo. Ponovo preuzmite Support Manager sa stranice Vaše sesije "
                     "ili unesite novi kod za uparivanje.",
    "error.ended": "Sesija {number} je završena. Zatražite od operatera novu sesiju.",
    "error.invalid": "{host} ne prepoznaje ovo preuzimanje. Ponovo preuzmite Support Manager sa stranice Vaše "
                     "sesije.",
    "error.number": "Broj sesije ima 9 cifara.",
    "error.code": "Kod za uparivanje ima 6 cifara.",
    "error.relay": "Unesite adresu sajta podrške, na primer https://support.example.com.",
    "error.stopped": "Support Manager se neočekivano zaustavio: {error}",
    "error.no_window": "Support Manager ovde ne može da otvori svoj prozor ({error}). Iz terminala: "
                       "tandem-agent pair --relay URL BROJ KOD",
    "screen.wayland": "Ova radna površina koristi Wayland, gde Support Manager ne može da vidi ekran: deljenje radne površine i aplikacija zahteva X11 sesiju (pri prijavi izaberite „Ubuntu on Xorg” ili „GNOME on Xorg”). Prenos datoteka radi.",
    "screen.no_display": "Ovde nema ekrana (nema displeja), pa je moguć samo prenos datoteka.",
    "picker.title": "Tandem Support Manager — izaberite aplikaciju",
    "picker.heading": "{name} traži da vidi jednu od vaših aplikacija",
    "picker.intro": "Izaberite prozor koji želite da delite. Prikazuje se samo taj prozor, a možete prekinuti u svakom trenutku.",
    "picker.share": "Deli ovaj prozor",
    "picker.cancel": "Otkaži",
    "picker.none": "Nijedan prozor aplikacije nije otvoren.",
    "picker.closed": "Deljeni prozor „{title}” je zatvoren: deljenje je zaustavljeno.",
}
