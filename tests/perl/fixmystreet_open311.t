#!/usr/bin/perl
# FixMyStreet's Open311 client against a real `guichet serve` on a fresh demo database.
#
# FixMyStreet (mySociety) talks to a council's Open311 server through its Perl module
# perllib/Open311.pm and the scripts around it (PopulateServiceList, GetServiceRequests,
# GetServiceRequestUpdates, PostServiceRequestUpdates). This test sends what that module
# sends, encoded as it encodes it — LWP::UserAgent, GET parameters in the query string,
# POST bodies as application/x-www-form-urlencoded built by HTTP::Request::Common from a
# hash (an array value becomes the same name repeated), values UTF-8 encoded, jurisdiction_id
# on every call and api_key on every POST — and reads the answers as it reads them:
# XML::Simple with the same ForceArray, KeyAttr, GroupTags and SuppressEmpty options, the
# same element paths, 2xx as success and an <errors> document otherwise.
# docs/open311.md, «FixMyStreet's Open311 client», lists those calls and guichet's answers.
#
# Run: prove -v tests/perl/   (after make). Needs Debian's libwww-perl and
# libxml-simple-perl (scripts/install-deps test). GUICHET_BIN picks the binary;
# KEEP_TEST_DIRS=1 keeps the temporary directory (database, server.log).
use strict;
use warnings;
use utf8;

use Encode qw(encode);
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Request::Common qw(GET POST);
use IO::Socket::INET;
use JSON::PP;
use LWP::UserAgent;
use POSIX qw(strftime);
use Test::More;
use Time::HiRes qw(sleep);
use Time::Local qw(timegm);
use URI;
use XML::Simple;

binmode(Test::More->builder->$_, ':encoding(UTF-8)') for qw(output failure_output todo_output);

my $REPO = File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), '..', '..'));
my $BIN = File::Spec->rel2abs($ENV{GUICHET_BIN} || 'build/guichet', $REPO);
my $JURISDICTION = 'ville-demo';

# ---------------------------------------------------------------------------------------
# The server: init, demo, two keys (open311 for FixMyStreet, api for the council's side),
# then `serve` on a free loopback port.

my $dir = tempdir('guichet-perl-XXXXXX', TMPDIR => 1, CLEANUP => 0);
my $db = "$dir/g.db";
my $log = "$dir/server.log";
my $server_pid;

$ENV{GUICHET_RATE_IP} = '100000';
$ENV{GUICHET_RATE_KEY} = '100000';
delete @ENV{qw(GUICHET_DB GUICHET_LISTEN)};

# Runs the CLI with stdout captured (stderr to the log); dies on a non-zero exit.
sub guichet {
    my @args = @_;
    my $out = "$dir/cli.out";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', $out or die "stdout: $!";
        open STDERR, '>>', $log or die "stderr: $!";
        exec $BIN, @args or die "exec $BIN: $!";
    }
    waitpid $pid, 0;
    my $rc = $?;
    open my $fh, '<:encoding(UTF-8)', $out or die "$out: $!";
    my $text = do { local $/; <$fh> };
    close $fh;
    die "guichet @args exited " . ($rc >> 8) . ": $text" if $rc != 0;
    return $text;
}

sub create_key {
    my ($name, $scope) = @_;
    my @words = split ' ', guichet('apikey', 'create', '--db', $db, '--name', $name,
                                   '--scope', $scope);
    die "apikey create printed no key" unless @words;
    return $words[-1];
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1,
                                  ReuseAddr => 1) or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub log_tail {
    open my $fh, '<', $log or return '';
    my @lines = <$fh>;
    close $fh;
    return join '', @lines[ ($#lines > 60 ? $#lines - 60 : 0) .. $#lines ];
}

END {
    my $rc = $?;
    if ($server_pid) {
        kill 'TERM', $server_pid;
        my $deadline = time + 15;
        while (waitpid($server_pid, POSIX::WNOHANG()) == 0) {
            if (time > $deadline) {
                kill 'KILL', $server_pid;
                waitpid $server_pid, 0;
                last;
            }
            sleep 0.05;
        }
    }
    my $tb = Test::More->builder;
    if (!$tb->is_passing && -s $log) {
        $tb->diag("--- server.log (tail) ---\n" . log_tail());
    }
    if (($ENV{KEEP_TEST_DIRS} // '') eq '1') {
        $tb->diag("kept $dir");
    } else {
        File::Path::rmtree($dir) if -d $dir;
    }
    $? = $rc;
}
use File::Path ();

die "guichet binary not found at $BIN (run make)\n" unless -x $BIN;
guichet('init', '--db', $db);
guichet('demo', '--db', $db);
my $OPEN311_KEY = create_key('fixmystreet', 'open311');
my $API_KEY = create_key('logiciel-voirie', 'api');

my $port = free_port();
my $BASE = "http://127.0.0.1:$port";
$server_pid = fork // die "fork: $!";
if ($server_pid == 0) {
    open STDOUT, '>>', $log or die "stdout: $!";
    open STDERR, '>>', $log or die "stderr: $!";
    exec $BIN, 'serve', '--db', $db, '--listen', "127.0.0.1:$port" or die "exec: $!";
}
{
    my $ua = LWP::UserAgent->new(timeout => 2);
    my $deadline = time + 20;
    my $up = 0;
    while (time < $deadline) {
        last if waitpid($server_pid, POSIX::WNOHANG()) != 0;
        my $r = $ua->get("$BASE/open311/v2/discovery.json");
        if ($r->code == 200) { $up = 1; last }
        sleep 0.05;
    }
    unless ($up) {
        BAIL_OUT("guichet serve did not answer on $BASE\n" . log_tail());
    }
}

# ---------------------------------------------------------------------------------------
# A client that behaves as FixMyStreet's Open311 module does (written for this test from
# the module's observable behaviour: the requests it builds and the way it reads answers).

package FmsClient {
    sub new {
        my ($class, %o) = @_;
        # endpoint ends with a slash; paths are appended to it ("services.xml").
        return bless {
            endpoint => $o{endpoint},
            jurisdiction => $o{jurisdiction} // '',
            api_key => $o{api_key} // '',
            ua => LWP::UserAgent->new(timeout => 300),
        }, $class;
    }

    # The options FixMyStreet gives XML::Simple: these elements are always arrays, no
    # element is folded into a hash by a key attribute, the wrapper elements are dropped
    # (<attributes><attribute>… reads as attributes => [ … ]), empty elements read undef.
    sub xml {
        my ($self, $text) = @_;
        my %groups = (
            services => 'service',
            attributes => 'attribute',
            values => 'value',
            service_requests => 'request',
            errors => 'error',
            service_request_updates => 'request_update',
            groups => 'group',
        );
        my $parser = XML::Simple->new(
            ForceArray => [ values %groups ],
            KeyAttr => {},
            GroupTags => \%groups,
            SuppressEmpty => undef,
        );
        my $doc = eval { $parser->parse_string($text) };
        return $doc;
    }

    # One call: the answer's decoded text on a 2xx, undef otherwise (then ->{error} holds
    # the status line and what the <errors> document said, as FixMyStreet logs it).
    sub call {
        my ($self, $method, $path, $params) = @_;
        my %p = %{ $params // {} };
        $p{jurisdiction_id} = $self->{jurisdiction} if $self->{jurisdiction} ne '';
        $p{api_key} = $self->{api_key} if $method eq 'POST' && $self->{api_key} ne '';
        for my $k (keys %p) {
            my $v = $p{$k};
            $p{$k} = ref $v eq 'ARRAY' ? [ map { Encode::encode('UTF-8', $_) } @$v ]
                                       : Encode::encode('UTF-8', $v);
        }
        my $uri = URI->new($self->{endpoint} . $path);
        my $req;
        if ($method eq 'GET') {
            $uri->query_form(\%p);
            $req = HTTP::Request::Common::GET($uri->as_string);
        } else {
            $req = HTTP::Request::Common::POST($uri->as_string, \%p);
        }
        my $res = $self->{ua}->request($req);
        $self->{last_request} = $req;
        $self->{last_response} = $res;
        if ($res->is_success) {
            $self->{success} = 1;
            $self->{error} = '';
            return $res->decoded_content;
        }
        $self->{success} = 0;
        $self->{error} = sprintf("request failed: %s\nerror: %s\n", $res->status_line,
                                 $self->error_text($res->decoded_content));
        return undef;
    }

    sub error_text {
        my ($self, $text) = @_;
        my $doc = $self->xml($text // '');
        my $msg = '';
        if (ref $doc && exists $doc->{error}) {
            $msg .= sprintf("%s: %s\n", $_->{code} || '???', $_->{description} || 'unknown error')
                for @{ $doc->{error} };
        }
        return $msg || 'unknown error';
    }

    # PopulateServiceList: the list, then a definition for each service with metadata.
    sub service_list {
        my $self = shift;
        my $text = $self->call(GET => 'services.xml');
        return $text ? $self->xml($text) : undef;
    }

    sub service_definition {
        my ($self, $code) = @_;
        return $self->xml($self->call(GET => "services/$code.xml") // '');
    }

    # send_service_request: the service_request_id of the first <request>, when a string.
    sub send_request {
        my ($self, $params) = @_;
        my $text = $self->call(POST => 'requests.xml', $params) or return 0;
        my $doc = $self->xml($text) or return 0;
        my $id = $doc->{request}[0]{service_request_id};
        return defined $id && !ref $id ? $id : 0;
    }

    # GetServiceRequests: report ids joined with commas, or start_date/end_date.
    sub service_requests {
        my ($self, %args) = @_;
        my %p;
        $p{service_request_id} = join ',', @{ delete $args{report_ids} } if $args{report_ids};
        %p = (%p, %args);
        my $doc = $self->xml($self->call(GET => 'requests.xml', \%p) // '');
        return ref $doc ? $doc->{request} : undef;
    }

    # GetServiceRequestUpdates: api_key always (empty when none), both dates or neither.
    sub request_updates {
        my ($self, $start, $end) = @_;
        my %p = (api_key => $self->{api_key});
        if (defined $start || defined $end) {
            return 0 unless defined $start && defined $end;
            @p{qw(start_date end_date)} = ($start, $end);
        }
        my $doc = $self->xml($self->call(GET => 'servicerequestupdates.xml', \%p) // '');
        return ref $doc ? $doc->{request_update} : undef;
    }

    # post_service_request_update: the update_id of the first <request_update>, when a
    # string.
    sub post_update {
        my ($self, $params) = @_;
        my $text = $self->call(POST => 'servicerequestupdates.xml', $params) or return 0;
        my $doc = $self->xml($text) or return 0;
        my $id = $doc->{request_update}[0]{update_id};
        return defined $id && !ref $id ? $id : 0;
    }
}

# The council's side, through guichet's JSON API (an `api` key): what agents do.
my $JSON = JSON::PP->new->utf8->canonical;
my $api_ua = LWP::UserAgent->new(timeout => 30);

sub council {
    my ($method, $path, $body) = @_;
    my $req = HTTP::Request->new($method, "$BASE/api/v1$path",
                                 [ Authorization => "Bearer $API_KEY",
                                   $body ? ('Content-Type' => 'application/json') : () ],
                                 $body ? $JSON->encode($body) : undef);
    my $res = $api_ua->request($req);
    my $data = eval { $JSON->decode($res->content) };
    return ($res->code, $data);
}

# ---------------------------------------------------------------------------------------
# Dates as FixMyStreet writes and reads them (DateTime::Format::W3CDTF, whole seconds).

sub w3c_utc { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime($_[0])) }

# The same instant written with a fixed offset, as a server in that zone formats it.
sub w3c_offset {
    my ($t, $minutes) = @_;
    my $sign = $minutes < 0 ? '-' : '+';
    my $abs = abs $minutes;
    return strftime('%Y-%m-%dT%H:%M:%S', gmtime($t + 60 * $minutes))
        . sprintf('%s%02d:%02d', $sign, int($abs / 60), $abs % 60);
}

# A W3CDTF date and time with its zone → unix seconds; undef when it does not parse.
sub w3c_parse {
    my $s = shift // return undef;
    my ($y, $mo, $d, $h, $mi, $sec, $zone) =
        $s =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/
        or return undef;
    my $t = timegm($sec, $mi, $h, $d, $mo - 1, $y);
    if ($zone ne 'Z') {
        my ($sign, $zh, $zm) = $zone =~ /^([+-])(\d\d):(\d\d)$/;
        $t -= ($sign eq '-' ? -1 : 1) * ($zh * 3600 + $zm * 60);
    }
    return $t;
}

# FixMyStreet keeps a fetched request or update only when its updated_datetime, written in
# UTC, sorts between the start_date and end_date strings it asked for.
sub fms_in_window {
    my ($updated, $start, $end) = @_;
    my $t = w3c_parse($updated);
    return 0 unless defined $t;
    my $u = w3c_utc($t);
    return !($u lt $start || $u gt $end);
}

my $fms = FmsClient->new(endpoint => "$BASE/open311/v2/", jurisdiction => $JURISDICTION,
                         api_key => $OPEN311_KEY);

# ---------------------------------------------------------------------------------------

subtest 'services.xml as PopulateServiceList reads it' => sub {
    my $list = $fms->service_list;
    ok($fms->{success}, 'GET services.xml?jurisdiction_id=… is a success')
        or diag $fms->{error};
    is(ref $list->{service}, 'ARRAY', 'services → service is a list');
    my %by_code = map { $_->{service_code} => $_ } @{ $list->{service} || [] };
    for my $code (qw(nid-de-poule depot-sauvage eclairage-panne graffiti arbre-dangereux
                     mobilier-urbain stationnement-genant)) {
        ok($by_code{$code}, "service $code is listed");
    }
    ok(!$by_code{'aide-sociale'} && !grep({ /ccas|aide/ } keys %by_code),
       'démarches not exposed on Open311 are not listed');
    my $s = $by_code{'nid-de-poule'} || {};
    is($s->{service_name}, 'Nid de poule', 'service_name, UTF-8 decoded');
    is(lc($s->{metadata} // ''), 'true', 'metadata true: FixMyStreet then fetches the definition');
    like($s->{keywords} // '', qr/(^|,)chaussée(,|$)/, 'keywords, comma-separated');
    is_deeply($s->{group}, ['Signaler un problème'], 'group, read as a list of one');
    ok(!ref $s->{description} && length($s->{description} // ''), 'description is text');
    for my $svc (@{ $list->{service} || [] }) {
        ok(defined $svc->{service_code} && !ref $svc->{service_code},
           "service_code present ($svc->{service_code})");
    }

    my $anon = FmsClient->new(endpoint => "$BASE/open311/v2/");
    my $again = $anon->service_list;
    ok($anon->{success} && ref $again->{service} eq 'ARRAY'
           && @{ $again->{service} } == @{ $list->{service} || [] },
       'without a configured jurisdiction (no jurisdiction_id): the same list');
};

subtest 'services/{code}.xml as _add_meta_to_contact reads it' => sub {
    my $meta = $fms->service_definition('nid-de-poule');
    ok($fms->{success}, 'GET services/nid-de-poule.xml is a success') or diag $fms->{error};
    is(ref $meta->{attributes}, 'ARRAY', 'attributes is a list (not "empty meta data")');
    my %attr = map { $_->{code} => $_ } @{ $meta->{attributes} || [] };
    my $taille = $attr{taille} || {};
    is($taille->{datatype}, 'singlevaluelist', 'taille: datatype');
    is(lc($taille->{required} // ''), 'true', 'taille: required "true"');
    is(lc($taille->{variable} // ''), 'true', 'taille: variable "true"');
    is($taille->{description}, 'Taille du nid de poule', 'taille: description');
    ok(defined $taille->{order} && $taille->{order} =~ /^\d+$/, 'order is a number');
    is(ref $taille->{values}, 'ARRAY', 'values is a list');
    is_deeply([ map { $_->{key} } @{ $taille->{values} || [] } ], [qw(petit moyen grand)],
              'values: the keys, in order');
    is(($taille->{values} || [])->[2]{name}, 'Grand (plus de 50 cm)', 'values: the names');
    ok(exists $attr{emplacement} && !defined $attr{emplacement}{datatype_description},
       'an empty <datatype_description/> reads undef (SuppressEmpty)');
    is(lc($attr{avertissement}{variable} // ''), 'false',
       'an informational attribute has variable "false" (FixMyStreet never sends a value for it)');
    my @orders = map { $_->{order} } @{ $meta->{attributes} || [] };
    is_deeply(\@orders, [ sort { $a <=> $b } @orders ], 'attributes come in their order');

    my $multi = $fms->service_definition('depot-sauvage');
    my ($types) = grep { $_->{code} eq 'types_dechets' } @{ $multi->{attributes} || [] };
    is($types && $types->{datatype}, 'multivaluelist', 'depot-sauvage: a multivaluelist');
    is(scalar @{ $types ? $types->{values} : [] }, 7, 'with its seven values');

    my $none = $fms->service_definition('pas-un-service');
    ok(!$fms->{success} && $fms->{last_response}->code == 404, 'unknown service: 404');
    like($fms->{error}, qr/404: /, 'and its <errors> document is read');
};

# Reports as FixMyStreet builds them: its description (title, detail, the report's URL),
# the reporter's name split in two, e-mail, lat/long cut to six decimals, the photo's URL,
# and one attribute[CODE] for every stored extra field, empty when not filled in.
my $now = time;
my $title = 'Trou dangereux rue de la République';
my $detail = "Un trou d’environ 40 cm s’est formé devant le n°12.\nLes vélos l’évitent au dernier moment.";
my $url = 'https://fixmystreet.example.org/report/4127';
my %report = (
    description => "$title\n\n$detail\n\n$url\n",
    service_code => 'nid-de-poule',
    first_name => 'Camille',
    last_name => 'Martin-Dupont',
    email => 'camille.martin@example.org',
    phone => '+33 6 12 34 56 78',
    lat => '45.764123',
    long => '4.835659',
    media_url => 'https://fixmystreet.example.org/photo/4127.0.full.jpeg',
    'attribute[taille]' => 'grand',
    'attribute[emplacement]' => '',
    'attribute[date_constat]' => '',
);
my %ids;

subtest 'POST requests.xml as send_service_request sends it' => sub {
    my $id = $fms->send_request({%report});
    like($id, qr/^\d{4}-\d{6}$/, 'a report with attributes, lat/long, name, e-mail, phone, media_url')
        or diag $fms->{error};
    $ids{main} = $id;
    my $req = $fms->{last_request};
    is($req->method, 'POST', 'sent as POST');
    is($req->header('Content-Type'), 'application/x-www-form-urlencoded',
       'as application/x-www-form-urlencoded');
    like($req->content, qr/(^|&)api_key=\Q$OPEN311_KEY\E(&|$)/, 'api_key in the body');
    like($req->content, qr/(^|&)jurisdiction_id=ville-demo(&|$)/, 'jurisdiction_id in the body');
    is($fms->{last_response}->code, 200, 'answered 200');

    # A multivaluelist extra field holds an array: the same name repeated, without [].
    $ids{multi} = $fms->send_request({
        description => "Dépôt sauvage\n\nGravats et pneus sur le trottoir.\n\n$url/2\n",
        service_code => 'depot-sauvage', first_name => 'Dominique', last_name => '',
        lat => '45.7611', long => '4.8402',
        'attribute[types_dechets]' => [qw(gravats pneus)], 'attribute[volume]' => 'coffre',
    });
    like($ids{multi}, qr/^\d{4}-\d{6}$/, 'attribute[types_dechets] repeated for a multivaluelist')
        or diag $fms->{error};
    like($fms->{last_request}->content,
         qr/attribute%5Btypes_dechets%5D=gravats.*attribute%5Btypes_dechets%5D=pneus
            |attribute%5Btypes_dechets%5D=pneus.*attribute%5Btypes_dechets%5D=gravats/x,
         '(the body repeats the name)');

    # Cobrands with multi_photos send every photo: media_url repeated.
    $ids{photos} = $fms->send_request({
        %report, description => "Deux photos\n\nDeux vues du même trou.\n\n$url/3\n",
        media_url => [ 'https://fixmystreet.example.org/photo/4128.0.full.jpeg',
                       'https://fixmystreet.example.org/photo/4128.1.full.jpeg' ],
    });
    like($ids{photos}, qr/^\d{4}-\d{6}$/, 'media_url repeated (multi_photos)') or diag $fms->{error};

    # Not pinpointed on a map: the postcode as address_string, or Bromley's marker.
    $ids{address} = $fms->send_request({
        description => "Lampadaire\n\nÉteint depuis trois nuits.\n\n$url/4\n",
        service_code => 'eclairage-panne', first_name => 'Sacha', last_name => 'Leroy',
        email => 'sacha.leroy@example.org', address_string => '69001',
        'attribute[nombre_lampadaires]' => '2', 'attribute[type_panne]' => 'eteint',
        'attribute[numero_lampadaire]' => '', 'attribute[date_constat]' => '',
        'attribute[uprn]' => '100023336956', deviceid => 'Android', account_id => '88',
    });
    like($ids{address}, qr/^\d{4}-\d{6}$/,
         'address_string instead of lat/long, plus fields guichet does not define (uprn, deviceid)')
        or diag $fms->{error};
    $ids{notpinpointed} = $fms->send_request({
        description => "Graffiti\n\nSur le mur de l'école.\n\n$url/5\n",
        service_code => 'graffiti', first_name => 'Sacha', last_name => 'Leroy',
        address_id => '#NOTPINPOINTED#',
        'attribute[support]' => 'mur', 'attribute[injurieux]' => 'non',
        'attribute[surface_m2]' => '',
    });
    like($ids{notpinpointed}, qr/^\d{4}-\d{6}$/, 'address_id #NOTPINPOINTED#')
        or diag $fms->{error};

    # Extra fields as FixMyStreet's form renders them: a number in a text input (typed
    # with a French decimal comma), a text in a textarea (line breaks), a datetime from a
    # datetime-local input (no offset).
    $ids{typed} = $fms->send_request({
        description => "Tag\n\nSur la façade de la médiathèque.\n\n$url/6\n",
        service_code => 'graffiti', first_name => 'Sacha', last_name => 'Leroy',
        lat => '45.7602', long => '4.8311',
        'attribute[support]' => 'batiment-public', 'attribute[injurieux]' => 'oui',
        'attribute[surface_m2]' => '2,5',
    });
    like($ids{typed}, qr/^\d{4}-\d{6}$/, 'a number typed with a decimal comma')
        or diag $fms->{error};
    $ids{textarea} = $fms->send_request({
        description => "Arbre\n\nBranche pendante.\n\n$url/7\n",
        service_code => 'arbre-dangereux', first_name => 'Sacha', last_name => 'Leroy',
        lat => '45.7655', long => '4.8420',
        'attribute[risque]' => 'branche-cassee',
        'attribute[circonstances]' => "Depuis le coup de vent de mardi.\nElle oscille.",
    });
    like($ids{textarea}, qr/^\d{4}-\d{6}$/, 'a text attribute with a line break')
        or diag $fms->{error};
    $ids{local_time} = $fms->send_request({
        %report, description => "Constat daté\n\nVu hier soir.\n\n$url/8\n",
        'attribute[date_constat]' => '2026-12-05T18:30',
    });
    like($ids{local_time}, qr/^\d{4}-\d{6}$/, 'a datetime without offset (datetime-local)')
        or diag $fms->{error};
};

subtest 'GET requests.xml by ids as GetServiceRequests reads it' => sub {
    my @wanted = grep { defined } @ids{qw(main multi photos address)};
    # A citizen's words are public only once an agent approves them as the request's public
    # text (docs/open311.md): the main report's is approved here, written to the database as
    # the back office's «Texte public» does, the others are not. Cached answers made before
    # live one second at most.
    system('sqlite3', '-batch', '-cmd', '.timeout 5000', $db,
           "UPDATE requests SET public_description = description WHERE reference = '"
           . ($ids{main} // '') . "'") == 0 or die "sqlite3: $?";
    sleep 1.1;
    my $requests = $fms->service_requests(report_ids => [@wanted]);
    ok($fms->{success}, 'GET requests.xml?service_request_id=a,b,c is a success')
        or diag $fms->{error};
    like($fms->{last_request}->uri, qr/service_request_id=\d{4}-\d{6}%2C\d{4}-\d{6}/,
         '(ids joined by a comma, escaped by URI as %2C)');
    is(ref $requests, 'ARRAY', 'service_requests → request is a list');
    my %got = map { $_->{service_request_id} => $_ } @{ $requests || [] };
    is_deeply([ sort keys %got ], [ sort @wanted ], 'every asked id, nothing else');
    my $r = $got{ $ids{main} // '' } || {};
    ok($r->{lat} && $r->{long}, 'lat and long are set (FixMyStreet skips a request without them)');
    cmp_ok(abs($r->{lat} - 45.764123), '<', 1e-6, 'lat as sent');
    cmp_ok(abs($r->{long} - 4.835659), '<', 1e-6, 'long as sent');
    is($r->{service_code}, 'nid-de-poule', 'service_code');
    is($r->{service_name}, 'Nid de poule', 'service_name');
    is($r->{status}, 'open', 'status open');
    # HTTP::Request::Common writes each line break of a form as CR LF (HTML 4.01), so that
    # is what FixMyStreet sends, and guichet keeps the text as it came.
    (my $sent = $report{description}) =~ s/\n/\r\n/g;
    is($r->{description}, $sent, 'description as sent (line breaks as CR LF)');
    is($r->{media_url}, $report{media_url}, 'media_url as sent');
    ok(defined w3c_parse($r->{updated_datetime}), 'updated_datetime is W3CDTF with a zone');
    ok(defined w3c_parse($r->{requested_datetime}), 'requested_datetime too');
    cmp_ok(abs(w3c_parse($r->{requested_datetime}) - $now), '<', 120, 'requested just now');
    my $p = $got{ $ids{photos} // '' } || {};
    ok(!defined $p->{description}, 'no description until an agent approves a public text');
    is($p->{media_url}, 'https://fixmystreet.example.org/photo/4128.0.full.jpeg',
       'media_url repeated: the first one is kept');
    ok(!$got{ $ids{address} // '' }{lat}, 'the report sent without lat/long has none');
    my $text = $fms->{last_response}->decoded_content;
    unlike($text, qr/camille\.martin\@example\.org|Martin-Dupont|12 34 56 78/,
           'no e-mail, name or phone in the answer');
};

subtest 'GET requests.xml by dates as GetServiceRequests reads it' => sub {
    sleep 1.1; # end_date is "now" to the second: let the reports be strictly before it
    my $start = w3c_utc(time - 3600);
    my $end = w3c_utc(time);
    my $requests = $fms->service_requests(start_date => $start, end_date => $end);
    ok($fms->{success}, "GET requests.xml?start_date=$start&end_date=$end is a success")
        or diag $fms->{error};
    my %got = map { $_->{service_request_id} => $_ } @{ $requests || [] };
    for my $k (qw(main multi photos)) {
        my $r = $got{ $ids{$k} // '' };
        ok($r, "$k report is in the window");
        ok($r && fms_in_window($r->{updated_datetime}, $start, $end),
           "$k: its updated_datetime passes FixMyStreet's window check");
    }
    my $before = $fms->service_requests(start_date => w3c_utc(time - 7200),
                                        end_date => w3c_utc(time - 3600));
    ok(!grep({ ($_->{service_request_id} // '') eq ($ids{main} // '') } @{ $before || [] }),
       'a window that ends before the report does not list it');
};

subtest 'what the council reads of those reports' => sub {
    my ($code, $data) = council(GET => "/requests/" . ($ids{multi} // 'none'));
    is($code, 200, 'the council reads the report');
    is_deeply($data && $data->{attributes}{types_dechets}, [qw(gravats pneus)],
              'types_dechets holds gravats and pneus');
    is($data && $data->{contact}{first_name}, 'Dominique', 'first_name stored');
    my ($c2, $main) = council(GET => "/requests/" . ($ids{main} // 'none'));
    is($main && $main->{contact}{email}, 'camille.martin@example.org', 'e-mail stored');
    # Stored in E.164 whatever form the client sent (here «+33 6 12 34 56 78»).
    is($main && $main->{contact}{phone}, '+33612345678', 'phone stored');
    is($main && $main->{contact}{last_name}, 'Martin-Dupont', 'last_name stored');
    is($main && $main->{attributes}{taille}, 'grand', 'attribute taille stored');
    is($main && $main->{channel}, 'api', 'filed on channel api');
    my (undef, $typed) = council(GET => "/requests/" . ($ids{typed} // 'none'));
    is($typed && $typed->{attributes}{surface_m2}, '2.5', 'the number "2,5" stored as 2.5');
    my (undef, $textarea) = council(GET => "/requests/" . ($ids{textarea} // 'none'));
    is($textarea && $textarea->{attributes}{circonstances},
       "Depuis le coup de vent de mardi.\r\nElle oscille.", 'the text attribute, line break as sent');
    my (undef, $dated) = council(GET => "/requests/" . ($ids{local_time} // 'none'));
    is($dated && $dated->{attributes}{date_constat}, '2026-12-05T18:30:00+01:00',
       'the local datetime read in the commune\'s zone');
};

# ---------------------------------------------------------------------------------------
# Service request updates (mySociety's extension).

# The council moves the main report through its statuses, with a public note each time.
my @council_steps = (
    [ acknowledged => 'Signalement reçu, transmis au service voirie.', 'INVESTIGATING' ],
    [ in_progress => 'Une équipe passera jeudi matin.', 'IN_PROGRESS' ],
    [ resolved => 'Le trou a été rebouché.', 'FIXED' ],
);
my $updates_start;

subtest 'GET servicerequestupdates.xml as GetServiceRequestUpdates reads it' => sub {
    $updates_start = w3c_utc(time - 2 * 3600);
    for my $step (@council_steps) {
        my ($code) = council(PATCH => "/requests/$ids{main}",
                             { status => $step->[0], note => $step->[1] });
        is($code, 200, "the council moves the report to $step->[0]");
    }
    sleep 1.1;
    my $end = w3c_utc(time);
    my $updates = $fms->request_updates($updates_start, $end);
    ok($fms->{success}, "GET servicerequestupdates.xml?api_key=…&start_date=…&end_date=…")
        or diag $fms->{error};
    like($fms->{last_request}->uri, qr/[?&]api_key=\Q$OPEN311_KEY\E(&|$)/,
         '(the GET carries api_key in its query string)');
    is(ref $updates, 'ARRAY', 'service_request_updates → request_update is a list');
    my @mine = grep { ($_->{service_request_id} // '') eq $ids{main} } @{ $updates || [] };
    is_deeply([ map { $_->{status} } @mine ], [ map { $_->[2] } @council_steps ],
              'one update per public status change: INVESTIGATING, IN_PROGRESS, FIXED');
    is_deeply([ map { $_->{external_status_code} } @mine ], [ map { $_->[0] } @council_steps ],
              'external_status_code is guichet\'s status code');
    is_deeply([ map { $_->{description} } @mine ], [ map { $_->[1] } @council_steps ],
              'description is the public note');
    for my $u (@mine) {
        ok(defined $u->{update_id} && !ref $u->{update_id} && length $u->{update_id},
           "update_id $u->{update_id} is set (FixMyStreet skips an update without one)");
        ok(fms_in_window($u->{updated_datetime}, $updates_start, $end),
           "updated_datetime $u->{updated_datetime} passes FixMyStreet's window check");
        ok(!defined $u->{media_url}, 'an empty <media_url/> reads undef');
    }
    my %seen;
    ok(!grep({ $seen{ $_->{update_id} // '' }++ } @{ $updates || [] }), 'update_ids are unique');
    my @keys = map { [ w3c_parse($_->{updated_datetime}) // 0, $_->{update_id} // '' ] }
               @{ $updates || [] };
    my @sorted = sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] } @keys;
    is_deeply(\@keys, \@sorted, 'ordered by updated_datetime, then update_id');

    my $json = $fms->call(GET => 'servicerequestupdates.json',
                          { api_key => $OPEN311_KEY, start_date => $updates_start,
                            end_date => $end });
    my $list = eval { JSON::PP->new->decode($json // '') };
    is(ref $list, 'ARRAY', 'the JSON form is a bare array');
    is_deeply([ map { $_->{update_id} } @{ $list || [] } ],
              [ map { $_->{update_id} } @{ $updates || [] } ], 'with the same updates');

    my $all = $fms->request_updates();
    ok($fms->{success}, 'without dates (as FixMyStreet asks Bromley): the last 90 days');
    ok(scalar(grep { ($_->{service_request_id} // '') eq $ids{main} } @{ $all || [] }) == 3,
       'the same three updates');

    my $keyless = FmsClient->new(endpoint => "$BASE/open311/v2/", jurisdiction => $JURISDICTION);
    $keyless->request_updates($updates_start, $end);
    ok($keyless->{success}, 'a client configured without key sends api_key= (empty): still read')
        or diag $keyless->{error};
    like($keyless->{last_request}->uri, qr/[?&]api_key=(&|$)/, '(api_key= was sent empty)');

    my $state = $fms->service_requests(report_ids => [ $ids{main} ]);
    is($state && $state->[0]{status}, 'closed', 'GET requests: the resolved report is closed');
};

# A comment on FixMyStreet, sent as _populate_service_request_update_params builds it.
sub fms_comment {
    my (%o) = @_;
    return {
        updated_datetime => $o{updated_datetime} // w3c_offset(time, 60),
        service_request_id => $o{service_request_id},
        status => $o{status},
        description => $o{description},
        first_name => $o{first_name} // 'Camille',
        last_name => $o{last_name} // '-',
        update_id => $o{update_id},
        ($o{email} ? (email => $o{email}) : ()),
        ($o{phone} ? (phone => $o{phone}) : ()),
        ($o{media_url} ? (media_url => $o{media_url}) : ()),
        %{ $o{extra} || {} },
    };
}

my %posted; # client update_id → guichet update_id

subtest 'POST servicerequestupdates.xml as PostServiceRequestUpdates sends it' => sub {
    # The reporter says it is not fixed: with extended statuses and mark_reopen, REOPEN.
    my $text = "Toujours pas réparé : le trou s’est reformé après la pluie.";
    my $reopen = fms_comment(service_request_id => $ids{main}, status => 'REOPEN',
                             description => $text, update_id => 7001,
                             last_name => 'Martin-Dupont', email => 'camille.martin@example.org',
                             media_url => 'https://fixmystreet.example.org/c/7001.0.full.jpeg');
    my $id = $fms->post_update({%$reopen});
    ok($id, 'REOPEN with update_id, name, e-mail, media_url: an update_id comes back')
        or diag $fms->{error};
    is($fms->{last_request}->header('Content-Type'), 'application/x-www-form-urlencoded',
       '(sent as application/x-www-form-urlencoded)');
    $posted{7001} = $id;
    my $state = $fms->service_requests(report_ids => [ $ids{main} ]);
    is($state && $state->[0]{status}, 'open', 'REOPEN reopened the resolved report');

    my $again = $fms->post_update({%$reopen});
    ok($id && $again && $again eq $id, 'the same update_id posted again: the same answer')
        or diag "first $id, then $again: $fms->{error}";

    # Without extended statuses FixMyStreet only says OPEN or CLOSED; a one-word name gives
    # last_name "-".
    $posted{7002} = $fms->post_update(fms_comment(
        service_request_id => $ids{multi}, status => 'OPEN', update_id => 7002,
        first_name => 'Dominique', last_name => '-',
        description => 'Les pneus sont toujours là.'));
    ok($posted{7002}, 'OPEN, last_name "-"') or diag $fms->{error};
    # A comment whose author has no name at all: first_name empty, last_name "-".
    $posted{7003} = $fms->post_update(fms_comment(
        service_request_id => $ids{multi}, status => 'OPEN', update_id => 7003,
        first_name => '', last_name => '-', description => 'Sans nom.'));
    ok($posted{7003}, 'OPEN, first_name empty and last_name "-"') or diag $fms->{error};

    # With extended statuses: every status FixMyStreet may send for a comment.
    my $n = 7010;
    for my $status (qw(IN_PROGRESS ACTION_SCHEDULED INVESTIGATING INTERNAL_REFERRAL FOR_TRIAGE
                       DUPLICATE NOT_COUNCILS_RESPONSIBILITY NO_FURTHER_ACTION CANCELLED CLOSED
                       FIXED)) {
        $n++;
        $posted{$n} = $fms->post_update(fms_comment(
            service_request_id => $ids{photos}, status => $status, update_id => $n,
            description => "Commentaire $n ($status)", email => 'camille.martin@example.org',
            phone => '+33612345678'));
        ok($posted{$n}, "status $status") or diag $fms->{error};
    }

    # A comment with every photo (multi_photos), and the fields some cobrands add.
    $posted{7030} = $fms->post_update(fms_comment(
        service_request_id => $ids{address}, status => 'OPEN', update_id => 7030,
        description => 'Deux photos du lampadaire.',
        media_url => [ 'https://fixmystreet.example.org/c/7030.0.full.jpeg',
                       'https://fixmystreet.example.org/c/7030.1.full.jpeg' ],
        extra => { email_alerts_requested => 'FALSE', title => 'MS',
                   'attribute[usrn]' => '8400123', service_code => 'eclairage-panne' }));
    ok($posted{7030}, 'media_url repeated, email_alerts_requested, title, attribute[…], service_code')
        or diag $fms->{error};

    # updated_datetime as a server in UTC writes it.
    $posted{7031} = $fms->post_update(fms_comment(
        service_request_id => $ids{address}, status => 'OPEN', update_id => 7031,
        description => 'Heure en UTC.', updated_datetime => w3c_utc(time - 3)));
    ok($posted{7031}, 'updated_datetime with Z') or diag $fms->{error};
};

subtest 'the posted comments in GET servicerequestupdates, under the id the POST gave' => sub {
    sleep 1.1;
    my $end = w3c_utc(time);
    my $updates = $fms->request_updates($updates_start, $end);
    ok($fms->{success}, 'GET servicerequestupdates.xml') or diag $fms->{error};
    my %by_id;
    $by_id{ $_->{update_id} }++ for grep { defined $_->{update_id} } @{ $updates || [] };
    for my $client (sort keys %posted) {
        my $ours = $posted{$client} or next;
        is($by_id{$ours}, 1, "comment $client listed once, as update_id $ours")
            or diag explain $updates;
    }
    my ($u) = grep { ($_->{update_id} // '') eq ($posted{7001} // '-') } @{ $updates || [] };
    is($u && $u->{service_request_id}, $ids{main}, 'under its service_request_id');
    is($u && $u->{description}, 'Toujours pas réparé : le trou s’est reformé après la pluie.',
       'with its text');
    ok($u && fms_in_window($u->{updated_datetime}, $updates_start, $end),
       'and a date inside the window');

    my ($code, $data) = council(GET => "/requests/$ids{main}");
    my @entries = grep { ($_->{body} // '') =~ /^Toujours pas réparé/ }
                  @{ $data ? $data->{timeline} : [] };
    is(scalar @entries, 1, 'one timeline entry although the comment was posted twice');
};

subtest 'errors as FixMyStreet reads them' => sub {
    my $bad = FmsClient->new(endpoint => "$BASE/open311/v2/", jurisdiction => $JURISDICTION,
                             api_key => 'gk_not_a_key');
    is($bad->send_request({%report}), 0, 'POST requests.xml with a wrong api_key: no id');
    is($bad->{last_response}->code, 403, 'answered 403');
    my $doc = $bad->xml($bad->{last_response}->decoded_content);
    is(ref $doc && ref $doc->{error}, 'ARRAY', 'an <errors> document with a list of <error>');
    is($doc && $doc->{error}[0]{code}, 403, '<code> is the HTTP status');
    like($bad->{error}, qr/^request failed: 403 .*\nerror: 403: \S/s,
         'FixMyStreet\'s log line: status line, then "code: description"');

    is($bad->post_update(fms_comment(service_request_id => $ids{main}, status => 'OPEN',
                                     update_id => 7100, description => 'Clé fausse.')),
       0, 'POST servicerequestupdates.xml with a wrong api_key: no id');
    is($bad->{last_response}->code, 403, 'answered 403');
    like($bad->{error}, qr/error: 403: \S/, 'with its <errors> document');

    my $keyless = FmsClient->new(endpoint => "$BASE/open311/v2/", jurisdiction => $JURISDICTION);
    is($keyless->send_request({%report}), 0, 'a client without api_key sends none on POST: no id');
    is($keyless->{last_response}->code, 403, 'answered 403');

    my %missing = %report;
    $missing{'attribute[taille]'} = '';
    is($fms->send_request(\%missing), 0, 'a required attribute left empty: no id');
    is($fms->{last_response}->code, 400, 'answered 400');
    like($fms->{error}, qr/error: 400: attribute\[taille\]/, 'the description names it');

    my $elsewhere = FmsClient->new(endpoint => "$BASE/open311/v2/", jurisdiction => 'ailleurs',
                                   api_key => $OPEN311_KEY);
    ok(!$elsewhere->service_list, 'an unknown jurisdiction_id: no list');
    is($elsewhere->{last_response}->code, 404, 'answered 404');
    like($elsewhere->{error}, qr/error: 404: /, 'with its <errors> document');
};

done_testing();
