#!/usr/bin/env bash
# Regenerates the IVR prompts under media/prompts/<lang>/<name>.wav (RIFF/WAVE, PCM 16-bit,
# mono, 16 kHz) with espeak-ng and sox. The WAVs are committed and embedded in the binary by
# media/src/prompts.rs (include_bytes!), so this only runs when a text changes:
#
#     media/prompts/make.sh            # all languages
#     media/prompts/make.sh fr         # one language
#
# Every prompt is spoken a little slower than espeak's default (clearer on a phone line),
# resampled to 16 kHz (the engine resamples again to each leg's rate), normalised to −3 dBFS peak,
# and trimmed of leading and trailing silence so that prompts chain tightly (the IVR inserts any
# pause it wants). The texts below are the exact texts spoken; prompts.rs lists the same names.
set -euo pipefail

cd "$(dirname "$0")"

# espeak-ng voice and speed (words per minute; espeak's default is 175) per language.
declare -A VOICE=([fr]=fr [en]=en-gb)
declare -A SPEED=([fr]=150 [en]=150)

# name|text, one prompt a line.
texts_fr() {
    cat <<'EOF'
welcome|Bienvenue sur le service de conférence.
enter_conference_number|Veuillez saisir le numéro de conférence, suivi de la touche dièse.
enter_access_code|Veuillez saisir le code d'accès, suivi de la touche dièse.
not_found|Ce numéro de conférence est inconnu.
wrong_code|Le code d'accès est incorrect.
try_again|Veuillez réessayer.
too_many_attempts|Trop de tentatives. Au revoir.
goodbye|Au revoir.
not_started|Cette conférence n'a pas encore commencé.
ended|Cette conférence est terminée.
full|Cette conférence est complète.
first_participant|Vous êtes le premier participant.
joining|Vous rejoignez la conférence.
participants_1|Il y a un autre participant.
participants_many|Il y a plus de vingt autres participants.
EOF
    for n in $(seq 2 20); do
        echo "participants_$n|Il y a $n autres participants."
    done
}

texts_en() {
    cat <<'EOF'
welcome|Welcome to the conference service.
enter_conference_number|Please enter the conference number, followed by the hash key.
enter_access_code|Please enter the access code, followed by the hash key.
not_found|This conference number is unknown.
wrong_code|The access code is incorrect.
try_again|Please try again.
too_many_attempts|Too many attempts. Goodbye.
goodbye|Goodbye.
not_started|This conference has not started yet.
ended|This conference has ended.
full|This conference is full.
first_participant|You are the first participant.
joining|You are joining the conference.
participants_1|There is one other participant.
participants_many|There are more than twenty other participants in this conference.
EOF
    for n in $(seq 2 20); do
        echo "participants_$n|There are $n other participants in this conference."
    done
}

command -v espeak-ng >/dev/null || { echo "espeak-ng is needed (apt-get install espeak-ng)" >&2; exit 1; }
command -v sox >/dev/null || { echo "sox is needed (apt-get install sox)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(fr en)
for lang in "${langs[@]}"; do
    mkdir -p "$lang"
    "texts_$lang" | while IFS='|' read -r name text; do
        espeak-ng -v "${VOICE[$lang]}" -s "${SPEED[$lang]}" -w "$tmp/raw.wav" "$text"
        # silence: drop leading sound below 0.3 % of full scale, then the same on the reversed
        # signal for the tail. norm after trimming so the level is the speech's own.
        sox "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$lang/$name.wav" \
            silence 1 0.02 0.3% reverse silence 1 0.02 0.3% reverse norm -3
        echo "$lang/$name.wav: $text"
    done
done
