-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)
/*!40101 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS `meters`;
CREATE TABLE `meters` (
  `id` int(11) unsigned NOT NULL AUTO_INCREMENT,
  `serial` varchar(16) DEFAULT NULL,
  `info` varchar(256) NOT NULL DEFAULT '',
  `setup_value` float NOT NULL DEFAULT 0,
  `key` varchar(32) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4;
LOCK TABLES `meters` WRITE;
INSERT INTO `meters` VALUES (1,'9999001','Loppen 12\'s \"hus\"\n',1234.5,'00112233445566778899aabbccddeeff'),(2,'9999002','',1.5e-05,NULL);
UNLOCK TABLES;
