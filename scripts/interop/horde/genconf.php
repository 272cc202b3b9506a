<?php
/**
 * Print an app's conf.php with Horde's own defaults (from its conf.xml), as Horde's web
 * configurator would write it, without a running Horde (scripts/interop/horde_harness.py).
 *
 *   php genconf.php APP [key__sub=value ...]
 *
 * Horde_Config is handed a dummy current configuration: reading an existing conf.php instead
 * would silently drop the defaults of every key it finds there.
 */
require_once 'Horde/Autoloader/Default.php';
class StubRegistry { function get($k, $app) { return $app == 'horde' ? '/usr/share/horde' : '/usr/share/horde/' . $app; } function listApps() { return array(); } function hasInterface($i) { return false; } }
class StubFilter { function filter($t, $f) { return $t; } }
class StubInjector { function getInstance($c) { return new StubFilter(); } }
$GLOBALS['registry'] = new StubRegistry();
$GLOBALS['injector'] = new StubInjector();
$app = $argv[1];
$vars = array();
foreach (array_slice($argv, 2) as $kv) { list($k, $v) = explode('=', $kv, 2); $vars[$k] = $v; }
$c = new Horde_Config($app);
echo $c->generatePHPConfig(new Horde_Variables($vars), array('easclient_dummy' => true));
