<?php
/**
 * Server-side administration of the interop Horde, through Horde's own APIs (run by
 * scripts/interop/horde_harness.py as the web server's user; prints one JSON object).
 *
 *   admin.php perms                     root permission open to all, ActiveSync allowed, and
 *                                       horde:activesync:provisioning = 'true' (enforced)
 *   admin.php provisioning VALUE        'true' | 'allow' | 'false' (Horde's enum values)
 *   admin.php policy NAME VALUE         set horde:activesync:provisioning:NAME to VALUE and reset
 *                                       every device's policy key, as Horde's admin page does
 *                                       after a policy change ("Reset all devices")
 *   admin.php wipe DEVICEID             order a remote wipe (horde/performActiveSyncDeviceAction)
 *   admin.php cancel-wipe DEVICEID
 *   admin.php device DEVICEID           the device's remote-wipe status and policy keys
 *   admin.php seed USER                 one calendar event, one contact, one task, one note for
 *                                       USER through the calendar/contacts/tasks/notes APIs
 */

require_once 'Horde/Autoloader/Default.php';
if (!defined('HORDE_BASE')) {
    define('HORDE_BASE', '/usr/share/horde');
}
require_once HORDE_BASE . '/lib/Application.php';
Horde_Registry::appInit('horde', array('cli' => true, 'user_admin' => true));

function out($value)
{
    echo json_encode($value), "\n";
    exit(0);
}

function fail($msg)
{
    fwrite(STDERR, "horde-admin: $msg\n");
    exit(1);
}

function perm($name, $type, $default)
{
    global $injector;
    $perms = $injector->getInstance('Horde_Perms');
    $core = $injector->getInstance('Horde_Core_Perms');
    if ($perms->exists($name)) {
        $p = $perms->getPermission($name);
        $p->setData(array('type' => $type, 'default' => $default));
        $p->save();
        return;
    }
    $p = $core->newPermission($name, $type);
    $p->addDefaultPermission($default, false);
    $perms->addPermission($p);
}

function state()
{
    global $injector;
    return $injector->getInstance('Horde_ActiveSyncState');
}

$cmd = isset($argv[1]) ? $argv[1] : '';
// Horde keeps device ids upper-cased (as Horde_ActiveSync does with the DeviceId it receives).
// A device using the base64 query form sends its DeviceId as bytes, which Horde keeps as
// upper-case hex: the id a test knows is looked up in both forms.
$devid = isset($argv[2]) ? strtoupper($argv[2]) : '';
if ($devid !== '' && in_array($cmd, array('wipe', 'cancel-wipe', 'device'))
    && !$injector->getInstance('Horde_ActiveSyncState')->deviceExists($devid)) {
    $hex = strtoupper(bin2hex($argv[2]));
    if ($injector->getInstance('Horde_ActiveSyncState')->deviceExists($hex)) {
        $devid = $hex;
    }
}
try {
    switch ($cmd) {
    case 'perms':
        // The root permission must be open to all, else every non-admin is locked out
        // (FolderSync answers Status 1 with no folders).
        perm('horde', 'matrix', Horde_Perms::ALL);
        perm('horde:activesync', 'boolean', true);
        perm('horde:activesync:provisioning', 'enum', 'true');
        out(array('ok' => true));
    case 'provisioning':
        perm('horde:activesync:provisioning', 'enum', $argv[2]);
        out(array('ok' => true));
    case 'policy':
        $value = $argv[3];
        perm('horde:activesync:provisioning:' . $argv[2], is_numeric($value) ? 'int' : 'boolean',
             is_numeric($value) ? (int)$value : ($value === 'true'));
        $registry->horde->performBulkActiveSyncDeviceAction('RESET');
        out(array('ok' => true));
    case 'wipe':
        $registry->horde->performActiveSyncDeviceAction('WIPE', $devid);
        out(array('ok' => true));
    case 'cancel-wipe':
        $registry->horde->performActiveSyncDeviceAction('CANCEL_WIPE', $devid);
        out(array('ok' => true));
    case 'device':
        $s = state();
        if (!$s->deviceExists($devid)) {
            out(array('exists' => false));
        }
        $db = $injector->getInstance('Horde_Db_Adapter');
        $rw = $db->selectValue(
            'SELECT device_rwstatus FROM horde_activesync_device WHERE device_id = ?',
            array($devid));
        $keys = array();
        foreach ($injector->getInstance('Horde_Db_Adapter')->select(
            'SELECT device_user, device_policykey FROM horde_activesync_device_users'
            . ' WHERE device_id = ?', array($devid)) as $row) {
            $keys[$row['device_user']] = (string)$row['device_policykey'];
        }
        out(array(
            'exists' => true,
            'rwstatus' => (int)$rw,
            'policykeys' => $keys,
        ));
    case 'seed':
        $user = $argv[2];
        $registry->setAuth($user, array());
        $uid = "easclient-seed-$user";
        $start = gmdate('Ymd\THis\Z', time() + 86400);
        $end = gmdate('Ymd\THis\Z', time() + 90000);
        $stamp = gmdate('Ymd\THis\Z');
        $ical = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easclient//interop//EN\r\n"
            . "BEGIN:VEVENT\r\nUID:$uid-event\r\nDTSTAMP:$stamp\r\nDTSTART:$start\r\n"
            . "DTEND:$end\r\nSUMMARY:Seed event for $user\r\nLOCATION:Room 1\r\n"
            . "END:VEVENT\r\nEND:VCALENDAR\r\n";
        $ids = array();
        $ids['event'] = $registry->calendar->import($ical, 'text/calendar');
        $vcard = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:$uid-contact\r\nFN:Seed Contact $user\r\n"
            . "N:Contact $user;Seed;;;\r\nEMAIL;TYPE=INTERNET:seed-$user@example.test\r\n"
            . "END:VCARD\r\n";
        $ids['contact'] = $registry->contacts->import($vcard, 'text/x-vcard');
        $vtodo = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easclient//interop//EN\r\n"
            . "BEGIN:VTODO\r\nUID:$uid-task\r\nDTSTAMP:$stamp\r\nSUMMARY:Seed task for $user\r\n"
            . "DUE:$end\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
        $ids['task'] = $registry->tasks->import($vtodo, 'text/calendar');
        $ids['note'] = $registry->notes->import("Seed note for $user\nbody", 'text/plain');
        out($ids);
    default:
        fail("unknown command '$cmd'");
    }
} catch (Exception $e) {
    fail(get_class($e) . ': ' . $e->getMessage());
}
